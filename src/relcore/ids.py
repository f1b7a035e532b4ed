"""Identifiers: time-ordered UUIDs (version 7) typed per entity kind.

Version 7 UUIDs begin with the creation time in milliseconds, so ids made one
after another sort together and land next to each other in B-tree indexes.
"""

from __future__ import annotations

import os
import time
from typing import NewType
from uuid import UUID

__all__ = [
    "CampaignId",
    "CaseId",
    "ConsentId",
    "ContactId",
    "CustomerId",
    "OpportunityId",
    "TouchpointId",
    "TransactionId",
    "new_id",
    "uuid7",
]

CustomerId = NewType("CustomerId", UUID)
ContactId = NewType("ContactId", UUID)
ConsentId = NewType("ConsentId", UUID)
TouchpointId = NewType("TouchpointId", UUID)
TransactionId = NewType("TransactionId", UUID)
CampaignId = NewType("CampaignId", UUID)
CaseId = NewType("CaseId", UUID)
OpportunityId = NewType("OpportunityId", UUID)

_VERSION_7 = 0x7 << 76
_VARIANT_RFC = 0x2 << 62


def uuid7(unix_ms: int | None = None) -> UUID:
    """Return a new version 7 UUID (RFC 9562).

    Args:
        unix_ms: Milliseconds since the Unix epoch to embed; now if omitted.

    Returns:
        A UUID whose first 48 bits are the timestamp and whose remaining
        74 free bits are random.
    """
    ms = time.time_ns() // 1_000_000 if unix_ms is None else unix_ms
    if not 0 <= ms < 1 << 48:
        raise ValueError(f"unix_ms out of range: {ms}")
    rand = int.from_bytes(os.urandom(10), "big")
    rand_a = rand >> 68  # 12 bits
    rand_b = rand & ((1 << 62) - 1)  # 62 bits
    value = (ms << 80) | _VERSION_7 | (rand_a << 64) | _VARIANT_RFC | rand_b
    return UUID(int=value)


def new_id() -> UUID:
    """Return a fresh time-ordered id (a version 7 UUID)."""
    return uuid7()
