"""The toy context's adapters: the generic repositories plus its special query, in both backends."""

from __future__ import annotations

import sqlalchemy as sa

from relcore.ids import CustomerId
from relcore.storage.memory.generic import MemoryRepository
from relcore.storage.sql.generic import SqlRepository
from tests.toy_notes.model import Note, notes_table

__all__ = ["MemoryNotes", "SqlNotes"]


class MemoryNotes(MemoryRepository[Note]):
    def latest(self, customer_id: CustomerId) -> Note | None:
        mine = self.for_owner(customer_id)
        return max(mine, key=lambda n: (n.written_at, n.id), default=None)


class SqlNotes(SqlRepository[Note]):
    def latest(self, customer_id: CustomerId) -> Note | None:
        query = (
            sa.select(notes_table)
            .where(notes_table.c.customer_id == customer_id)
            .order_by(notes_table.c.written_at.desc(), notes_table.c.id.desc())
            .limit(1)
        )
        return self.first(query)
