"""The activity namespace of the facade: ``crm.activity``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from relcore._kernel.arguments import (
    check_id,
    check_instance,
    check_items,
    check_limit,
    check_optional_datetime,
)
from relcore._kernel.checks import positive_int
from relcore._kernel.namespace import Namespace, UnitOfWorkSource
from relcore._kernel.tokens import check_token
from relcore.activity import services
from relcore.activity.model import TimelineEntry, Touchpoint, Transaction
from relcore.activity.ports import ActivityWork
from relcore.clock import Clock
from relcore.customers.model import Channel
from relcore.errors import TransientStorageError
from relcore.ids import CustomerId
from relcore.storage.base import DEFAULT_CHUNK_SIZE

if TYPE_CHECKING:
    from relcore.vocabularies import Vocabularies

__all__ = ["Activity", "check_channels"]

IMPORT_ATTEMPTS = 3
"""How many times an import of a list or tuple is tried when it loses a race with another writer."""


def check_channels(field: str, value: object, vocabularies: Vocabularies) -> frozenset[Channel | str] | None:
    """Return ``None``, or the channels in the collection ``value``, each declared in ``vocabularies``."""
    if value is None:
        return None

    def declared(path: str, item: object) -> Channel | str:
        channel = check_token(Channel, path, item)
        vocabularies.channels.check(path, channel)
        return channel

    return frozenset(check_items(field, value, declared))


class Activity(Namespace[ActivityWork]):
    """Touchpoints, transactions and timelines: ``crm.activity``.

    Recording is idempotent on a row's ``(source, external_id)``: sending the
    same interaction or order again changes nothing.

    Example:
        >>> from datetime import UTC, datetime
        >>> from relcore import CRM, Customer, Touchpoint
        >>> crm = CRM.in_memory()
        >>> ada = crm.customers.add(Customer.person("Ada"))
        >>> call = Touchpoint(
        ...     customer_id=ada.id, channel="phone", kind="call", direction="inbound",
        ...     occurred_at=datetime(2026, 5, 4, 9, 30, tzinfo=UTC), source="pbx", external_id="c-1",
        ... )
        >>> crm.activity.record_touchpoint(call), crm.activity.record_touchpoint(call)
        (True, False)
        >>> print(*(str(entry.kind) for entry in crm.activity.timeline(ada.id)))
        call

    A channel or touchpoint kind the CRM's [vocabularies][relcore.crm.CRM.vocabularies]
    do not declare is refused with a [ValidationError][relcore.errors.ValidationError]
    naming the field (``touchpoint.channel``, ``touchpoints[3].kind``).
    """

    __slots__ = ("_vocabularies",)

    def __init__(
        self,
        source: UnitOfWorkSource[ActivityWork],
        clock: Clock,
        vocabularies: Vocabularies,
    ) -> None:
        super().__init__(source, clock)
        self._vocabularies = vocabularies

    def _declared(self, path: str, entry: object) -> object:
        """``entry``, once its channel (and a touchpoint's kind) are checked against the vocabularies."""
        if isinstance(entry, Touchpoint):
            self._vocabularies.channels.check(f"{path}.channel", entry.channel)
            self._vocabularies.touchpoint_kinds.check(f"{path}.kind", entry.kind)
        elif isinstance(entry, Transaction) and entry.channel is not None:
            self._vocabularies.channels.check(f"{path}.channel", entry.channel)
        return entry

    def record_touchpoint(self, touchpoint: Touchpoint) -> bool:
        """Record one touchpoint; ``False`` if its ``(source, external_id)`` was seen."""
        self._declared("touchpoint", check_instance("touchpoint", touchpoint, Touchpoint))
        return self._write(lambda uow: services.record_touchpoint(uow, touchpoint))

    def import_touchpoints(
        self, touchpoints: Iterable[Touchpoint], *, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> int:
        """Bulk-ingest a stream of touchpoints in one transaction; return how many were new.

        Concurrent imports of overlapping keys may lose a race for a lock:
        relcore repeats the chunk, and a list or tuple of touchpoints the
        whole import, a few times before raising
        [TransientStorageError][relcore.errors.TransientStorageError].
        """
        return self._import(services.import_touchpoints, "touchpoints", touchpoints, Touchpoint, chunk_size)

    def record_transaction(self, transaction: Transaction) -> bool:
        """Record one transaction; ``False`` if its ``(source, external_id)`` was seen."""
        self._declared("transaction", check_instance("transaction", transaction, Transaction))
        return self._write(lambda uow: services.record_transaction(uow, transaction))

    def import_transactions(
        self, transactions: Iterable[Transaction], *, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> int:
        """Bulk-ingest a stream of transactions in one transaction; return how many were new.

        Lost races with concurrent imports are repeated as by
        [import_touchpoints][relcore.activity.api.Activity.import_touchpoints].
        """
        return self._import(
            services.import_transactions, "transactions", transactions, Transaction, chunk_size
        )

    def _import(
        self, use_case: Callable[..., int], field: str, items: object, kind: type, chunk_size: int
    ) -> int:
        """Run an idempotent import; repeat it whole after a lost race when ``items`` can be read again."""
        size = positive_int("chunk_size", chunk_size, minimum=1)
        attempts = IMPORT_ATTEMPTS if isinstance(items, Sequence) else 1  # an iterator is spent
        for attempt in range(1, attempts + 1):
            stream: Iterator[object] = check_items(
                field, items, lambda at, x: self._declared(at, check_instance(at, x, kind))
            )
            with self._source.unit_of_work() as uow:
                try:
                    new = use_case(uow, stream, chunk_size=size)
                    uow.commit()
                except TransientStorageError:
                    # safe to repeat (stored keys are skipped), but not inside a host's transaction,
                    # which the database may have rolled back as a whole
                    if attempt == attempts or getattr(uow, "joined", False):
                        raise
                else:
                    return new
        raise AssertionError("unreachable")  # pragma: no cover

    def timeline(
        self,
        customer_id: CustomerId,
        *,
        limit: int = 50,
        channels: Iterable[Channel | str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[TimelineEntry]:
        """Return the customer's touchpoints and transactions, newest first (none for an unknown customer).

        Args:
            customer_id: The customer.
            limit: At most this many entries (1 to 10,000).
            channels: Keep only these channels (``None`` keeps all).
            since: Keep entries at or after this instant.
            until: Keep entries strictly before this instant.
        """
        wanted = check_id("customer_id", customer_id)
        size = check_limit(limit)
        kept = check_channels("channels", channels, self._vocabularies)
        start, end = check_optional_datetime("since", since), check_optional_datetime("until", until)
        return self._read(
            lambda uow: uow.activity.timeline(wanted, limit=size, channels=kept, since=start, until=end)
        )
