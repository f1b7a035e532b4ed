"""How consent records are stored: their row codec (``relcore.storage.sql.codec``).

Consent records are rebuilt through their constructor: a row that fails
validation means the table was edited behind relcore's back, and the
[`ValidationError`][relcore.errors.ValidationError] says which field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from relcore.consent.model import ConsentRecord
from relcore.storage.sql.codec import RowCodec
from relcore.storage.sql.schema import consents

__all__ = ["CONSENTS", "consent_from_row", "consent_row"]

Row = Mapping[Any, Any]

CONSENTS: RowCodec[ConsentRecord] = RowCodec(consents, ConsentRecord)
"""``relcore_consents``, rebuilt through the constructor."""

consent_row: Callable[[ConsentRecord], dict[str, Any]] = CONSENTS.row
"""Return the ``relcore_consents`` row of a consent record."""
consent_from_row: Callable[[Row], ConsentRecord] = CONSENTS.entity
"""Rebuild a consent record from its row (through its constructor)."""
