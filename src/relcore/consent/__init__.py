"""Consent: the append-only ledger of each customer's answers, per purpose and channel.

The names of its model, re-exported; its facade namespace is
[`crm.consent`][relcore.consent.api], its ports and use cases are in
``ports`` and ``services``.
"""

from relcore.consent.model import (
    ConsentChanged,
    ConsentRecord,
    ConsentStatus,
    Purpose,
    current_consent,
    may_contact,
)

__all__ = [
    "ConsentChanged",
    "ConsentRecord",
    "ConsentStatus",
    "Purpose",
    "current_consent",
    "may_contact",
]
