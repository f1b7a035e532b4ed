"""The activity and consent methods of the [CRM][relcore.CRM] facade (kept apart for length)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime

from relcore import services
from relcore._arguments import (
    check_channels,
    check_id,
    check_instance,
    check_items,
    check_limit,
    check_optional_datetime,
)
from relcore.clock import Clock
from relcore.domain import (
    Channel,
    ConsentRecord,
    ConsentStatus,
    Purpose,
    TimelineEntry,
    Touchpoint,
    Transaction,
)
from relcore.domain._checks import check_datetime, check_enum, positive_int
from relcore.errors import TransientStorageError
from relcore.ids import CustomerId
from relcore.storage.ports import DEFAULT_CHUNK_SIZE, UnitOfWork

__all__ = ["ActivityMethods"]

_IMPORT_ATTEMPTS = 3
"""How many times an import of a list or tuple is tried when it loses a race with another writer."""


class ActivityMethods:
    """Recording touchpoints and transactions, reading timelines, and the consent ledger."""

    _clock: Clock

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:  # pragma: no cover - provided by CRM
        raise NotImplementedError

    # -- interactions and money -------------------------------------------

    def record_touchpoint(self, touchpoint: Touchpoint) -> bool:
        """Record one touchpoint; ``False`` if its ``(source, external_id)`` was seen."""
        check_instance("touchpoint", touchpoint, Touchpoint)
        with self.unit_of_work() as uow:
            new = services.record_touchpoint(uow, touchpoint)
            uow.commit()
        return new

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
        check_instance("transaction", transaction, Transaction)
        with self.unit_of_work() as uow:
            new = services.record_transaction(uow, transaction)
            uow.commit()
        return new

    def import_transactions(
        self, transactions: Iterable[Transaction], *, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> int:
        """Bulk-ingest a stream of transactions in one transaction; return how many were new.

        Lost races with concurrent imports are repeated as by
        [import_touchpoints][relcore.crm.CRM.import_touchpoints].
        """
        return self._import(
            services.import_transactions, "transactions", transactions, Transaction, chunk_size
        )

    def _import(
        self, use_case: Callable[..., int], field: str, items: object, kind: type, chunk_size: int
    ) -> int:
        """Run an idempotent import; repeat it whole after a lost race when ``items`` can be read again."""
        size = positive_int("chunk_size", chunk_size, minimum=1)
        attempts = _IMPORT_ATTEMPTS if isinstance(items, Sequence) else 1  # an iterator is spent
        for attempt in range(1, attempts + 1):
            stream: Iterator[object] = check_items(field, items, lambda at, x: check_instance(at, x, kind))
            with self.unit_of_work() as uow:
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
            limit: At most this many entries (1 to 1000).
            channels: Keep only these channels (``None`` keeps all).
            since: Keep entries at or after this instant.
            until: Keep entries strictly before this instant.
        """
        wanted = check_id("customer_id", customer_id)
        size = check_limit(limit)
        kept = check_channels("channels", channels)
        start, end = check_optional_datetime("since", since), check_optional_datetime("until", until)
        with self.unit_of_work(read_only=True) as uow:
            return uow.timeline(wanted, limit=size, channels=kept, since=start, until=end)

    # -- consent ------------------------------------------------------------

    def record_consent(
        self,
        customer_id: CustomerId,
        purpose: Purpose | str,
        status: ConsentStatus | str,
        *,
        channel: Channel | str | None = None,
        source: str = "unknown",
        notice_version: str | None = None,
        recorded_at: datetime | None = None,
        expires_at: datetime | None = None,
    ) -> ConsentRecord:
        """Append a consent answer to the customer's ledger; return the record."""
        record = ConsentRecord(
            customer_id=check_id("customer_id", customer_id),
            purpose=purpose,
            status=status,
            channel=channel,
            source=source,
            notice_version=notice_version,
            recorded_at=recorded_at if recorded_at is not None else self._clock(),
            expires_at=expires_at,
        )
        with self.unit_of_work() as uow:
            services.record_consent(uow, record)
            uow.commit()
        return record

    def consents_of(self, customer_id: CustomerId) -> list[ConsentRecord]:
        """Return the customer's consent ledger, oldest first (empty for an unknown customer)."""
        wanted = check_id("customer_id", customer_id)
        with self.unit_of_work(read_only=True) as uow:
            return uow.consents.for_customer(wanted)

    def may_contact(
        self,
        customer_id: CustomerId,
        purpose: Purpose | str,
        channel: Channel | str,
        at: datetime | None = None,
    ) -> bool:
        """May we contact the customer for ``purpose`` on ``channel`` (now, or at ``at``)?

        ``False`` for a customer without a ledger, or an unknown one.
        """
        wanted = check_id("customer_id", customer_id)
        why = check_enum(Purpose, "purpose", purpose)
        how = check_enum(Channel, "channel", channel)
        moment = self._clock() if at is None else check_datetime("at", at)
        with self.unit_of_work(read_only=True) as uow:
            return services.may_contact(uow, wanted, why, how, moment)
