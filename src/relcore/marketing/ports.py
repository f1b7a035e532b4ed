"""The ports of the marketing context: none stored yet, its events and values declared.

Campaigns, their members, audiences and scores get their storage ports
next; until then the registry knows the context's events and the values it
exchanges as JSON, so every event is serialized and tested like the others'.
"""

from __future__ import annotations

from relcore._kernel.declarations import Context
from relcore.marketing.model import Campaign, CampaignAdded, CampaignStatusChanged

__all__ = ["CONTEXT"]

CONTEXT = Context(
    "marketing",
    events=(CampaignAdded, CampaignStatusChanged),
    values=(Campaign,),
)
"""The marketing context, as the registry sees it."""
