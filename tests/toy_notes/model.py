"""The toy ``notes`` context: its entity, its table and its declarations."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

import attrs
import sqlalchemy as sa

from relcore._kernel import checks as check
from relcore.ids import ContactId, CustomerId, new_id
from relcore.registry import Aggregate, Context, History, HistoryField
from relcore.storage.base import AggregateRepository
from relcore.storage.sql.schema import contacts, customers
from relcore.storage.sql.types import KeyText, UTCDateTime

__all__ = ["NOTES", "NOTES_CONTEXT", "NOTE_HISTORY", "Note", "NoteRepository", "metadata", "notes_table"]


@attrs.frozen
class Note:
    """A note about a customer, from some source system."""

    customer_id: CustomerId = attrs.field(converter=check.uuid)
    text: str = attrs.field(converter=check.text(2000))
    written_at: datetime = attrs.field(converter=check.aware)
    contact_id: ContactId | None = attrs.field(default=None, converter=check.optional_uuid)
    source: str = attrs.field(default="crm", converter=check.text(64))
    external_id: str | None = attrs.field(default=None, converter=check.optional_text(128))
    id: UUID = attrs.field(factory=new_id, converter=check.uuid)
    version: int = attrs.field(default=1)


class NoteRepository(AggregateRepository[Note], Protocol):
    """The generic repository, plus the context's one special query."""

    def latest(self, customer_id: CustomerId) -> Note | None:
        """The customer's most recently written note, if any."""
        ...


metadata = sa.MetaData()
notes_table = sa.Table(
    "toy_notes",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("customer_id", sa.Uuid, sa.ForeignKey(customers.c.id), nullable=False, index=True),
    sa.Column("contact_id", sa.Uuid, sa.ForeignKey(contacts.c.id), nullable=True),
    sa.Column("text", sa.String(2000), nullable=False),
    sa.Column("written_at", UTCDateTime(), nullable=False),
    sa.Column("source", KeyText(64), nullable=False),
    sa.Column("external_id", KeyText(128), nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.UniqueConstraint("source", "external_id", name="uq_toy_notes_key"),
)

NOTES = Aggregate(
    "notes",
    NoteRepository,
    memory="tests.toy_notes.adapters:MemoryNotes",
    sql="tests.toy_notes.adapters:SqlNotes",
    entity=Note,
    references=(("contact_id", "contacts"),),
    unique=(("source", "external_id"),),
    versioned=True,
    table="tests.toy_notes.model:notes_table",
)

NOTE_HISTORY = History(
    "notes",
    NOTES,
    (
        HistoryField("text", "text"),
        HistoryField("source", "text"),
        HistoryField("contact_id", "id", nullable=True),
    ),
    time="written_at",
)

NOTES_CONTEXT = Context("notes", ports=(NOTES,), values=(Note,), histories=(NOTE_HISTORY,))
