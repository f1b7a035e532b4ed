"""Events of units of work that joined a host transaction wait for the host's commit.

A unit of work on a host connection that is already in a transaction runs in
a SAVEPOINT of it. Committing the unit only releases that savepoint: its work
becomes part of whatever encloses it (another savepoint of the host, or the
host's transaction), and it is durable only if none of those is rolled back
before the host commits. So the unit's events wait on the connection, tagged
with the savepoint depth their work lives at, and follow SQLAlchemy's
connection events:

- ``savepoint``: the host (or another unit) opens a savepoint one level deeper;
- ``release_savepoint``: the innermost savepoint ends and its work joins the
  level around it, and so do the events waiting at its level;
- ``rollback_savepoint``: the innermost savepoint is rolled back, and with it
  the work, and the waiting events, at its level or deeper;
- ``commit``: everything still waiting is published; ``rollback``: dropped.

Savepoints end innermost first, as SQLAlchemy's nested transactions do.
Depths are counted from the moment the first unit's events start waiting on
a connection, so savepoints the host opened before that are handled too:
ending one of them takes the depth below zero. Subscribers are called from
the host's ``commit`` event, which SQLAlchemy fires as the host's ``COMMIT``
is issued.
"""

from __future__ import annotations

import logging
import weakref

import attrs
from sqlalchemy import event
from sqlalchemy.engine import Connection

from relcore._kernel.events import DomainEvent
from relcore.storage.base import Publisher

__all__ = ["defer_until_host_commit"]

log = logging.getLogger(__name__)


@attrs.define
class _Waiting:
    """Events of one committed unit of work and the savepoint depth its work lives at."""

    depth: int
    publish: Publisher
    events: list[DomainEvent]


@attrs.define
class _HostTransaction:
    """The savepoint depth of one host connection and the events waiting for its commit."""

    depth: int = 0
    waiting: list[_Waiting] = attrs.Factory(list)

    def opened(self, connection: Connection, name: str | None) -> None:
        self.depth += 1

    def released(self, connection: Connection, name: str, context: object) -> None:
        self.depth -= 1
        for item in self.waiting:
            item.depth = min(item.depth, self.depth)

    def rolled_back_to(self, connection: Connection, name: str, context: object) -> None:
        self.depth -= 1
        self.waiting = [item for item in self.waiting if item.depth <= self.depth]

    def committed(self, connection: Connection) -> None:
        self.depth = 0
        while self.waiting:  # a subscriber may itself add work to the committing transaction
            ready, self.waiting = self.waiting, []
            for item in ready:
                try:
                    item.publish(item.events)
                except Exception:
                    log.exception(
                        "publishing events after the host's commit failed (%d in the batch)", len(item.events)
                    )

    def rolled_back(self, connection: Connection) -> None:
        self.depth = 0
        self.waiting = []


_HOSTS: weakref.WeakKeyDictionary[Connection, _HostTransaction] = weakref.WeakKeyDictionary()
"""The host connections relcore's units of work joined, with their waiting events."""


def defer_until_host_commit(connection: Connection, publish: Publisher, events: list[DomainEvent]) -> None:
    """Publish ``events`` when the host commits, unless the savepoint holding their work is rolled back.

    Call it right after the unit of work released its own savepoint, so
    that the connection's current depth is where the unit's work now lives.
    """
    host = _HOSTS.get(connection)
    if host is None:
        host = _HOSTS[connection] = _HostTransaction()
        event.listen(connection, "savepoint", host.opened)
        event.listen(connection, "release_savepoint", host.released)
        event.listen(connection, "rollback_savepoint", host.rolled_back_to)
        event.listen(connection, "commit", host.committed)
        event.listen(connection, "rollback", host.rolled_back)
    host.waiting.append(_Waiting(host.depth, publish, events))
