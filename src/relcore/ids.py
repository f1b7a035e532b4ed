"""Identifiers: time-ordered UUIDs (version 7) typed per entity kind.

Version 7 UUIDs begin with the creation time in milliseconds, so ids made one
after another sort together and land next to each other in B-tree indexes.
Within one process they are also strictly increasing: when the clock has not
moved on (or went back), the next id is the previous one plus a random step,
the "monotonic random" method of RFC 9562, section 6.2. So of two entities
made in the same process, the later one has the greater id.
"""

from __future__ import annotations

import os
import threading
import time
from typing import NewType
from uuid import UUID

__all__ = [
    "CampaignId",
    "CaseChangeId",
    "CaseId",
    "ConsentId",
    "ContactId",
    "CustomerId",
    "FeedbackResponseId",
    "OpportunityChangeId",
    "OpportunityId",
    "OpportunityPartnerId",
    "PartnerProfileId",
    "PipelineId",
    "ScoringPlanId",
    "SegmentId",
    "SlaPolicyId",
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
CaseChangeId = NewType("CaseChangeId", UUID)
SlaPolicyId = NewType("SlaPolicyId", UUID)
OpportunityId = NewType("OpportunityId", UUID)
OpportunityChangeId = NewType("OpportunityChangeId", UUID)
PipelineId = NewType("PipelineId", UUID)
PartnerProfileId = NewType("PartnerProfileId", UUID)
OpportunityPartnerId = NewType("OpportunityPartnerId", UUID)
SegmentId = NewType("SegmentId", UUID)
ScoringPlanId = NewType("ScoringPlanId", UUID)
FeedbackResponseId = NewType("FeedbackResponseId", UUID)

_VERSION_7 = 0x7 << 76
_VARIANT_RFC = 0x2 << 62


_lock = threading.Lock()
_last = 0  # the last id made from the clock, as an integer


def _layout(ms: int, rand: int) -> int:
    """Place ``ms`` and 74 random bits around the version and variant bits."""
    rand_a = rand >> 62  # 12 bits
    rand_b = rand & ((1 << 62) - 1)  # 62 bits
    return (ms << 80) | _VERSION_7 | (rand_a << 64) | _VARIANT_RFC | rand_b


def _random_bits(value: int) -> int:
    return (((value >> 64) & 0xFFF) << 62) | (value & ((1 << 62) - 1))


def uuid7(unix_ms: int | None = None) -> UUID:
    """Return a new version 7 UUID (RFC 9562).

    Args:
        unix_ms: Milliseconds since the Unix epoch to embed. If omitted, the
            current time is used and the id is greater than every id this
            process made before from the clock.

    Returns:
        A UUID whose first 48 bits are the timestamp and whose remaining
        74 free bits are random.

    Example:
        >>> first, second = uuid7(), uuid7()
        >>> first < second and first.version == 7
        True
    """
    global _last
    if unix_ms is not None:
        if not 0 <= unix_ms < 1 << 48:
            raise ValueError(f"unix_ms out of range: {unix_ms}")
        return UUID(int=_layout(unix_ms, int.from_bytes(os.urandom(10), "big") >> 6))
    with _lock:
        ms = time.time_ns() // 1_000_000
        last_ms = _last >> 80
        if ms > last_ms:
            value = _layout(ms, int.from_bytes(os.urandom(10), "big") >> 6)
        else:  # same millisecond, or the clock went back: step past the last id
            step = 1 + (int.from_bytes(os.urandom(4), "big") >> 8)
            bits = _random_bits(_last) + step
            if bits >= 1 << 74:  # the random bits overflowed: borrow the next millisecond
                last_ms, bits = last_ms + 1, bits - (1 << 74)
            value = _layout(last_ms, bits)
        _last = value
        return UUID(int=value)


def new_id() -> UUID:
    """Return a fresh time-ordered id (a version 7 UUID)."""
    return uuid7()
