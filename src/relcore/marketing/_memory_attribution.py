"""The journeys port of a memory store: every order and campaign touch read through the activity ports.

[MemoryJourneys][relcore.marketing._memory_attribution.MemoryJourneys] is the
reference the SQL adapter is held to: it walks the customers page by
page, reads each one's transactions and touchpoints through the activity
ports, and keeps those the query asks for.
"""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

from relcore._kernel import checks as check
from relcore._kernel.arguments import check_instance
from relcore.activity.model import TransactionKind
from relcore.marketing.attribution import stored_order, stored_touch
from relcore.marketing.attribution_ports import Journey, JourneyQuery
from relcore.storage.memory.session import Session

__all__ = ["MemoryJourneys"]


class MemoryJourneys:
    """Each customer's orders and campaign touches in a memory store.

    Implements [JourneySource][relcore.marketing.attribution_ports.JourneySource].
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    def journeys(self, query: JourneyQuery, *, batch: int = 500) -> Iterator[Journey]:
        """Every customer's journey, in the store's id order.

        See [JourneySource][relcore.marketing.attribution_ports.JourneySource].
        """
        self._session.check()
        wanted = check_instance("query", query, JourneyQuery)
        size = check.positive_int("batch", batch, minimum=1)
        return self._stream(wanted, size)

    def _stream(self, wanted: JourneyQuery, size: int) -> Iterator[Journey]:
        uow = self._session.uow
        earliest = wanted.earliest_touch
        after: UUID | None = None
        while True:
            page = uow.customers.list(after=after, limit=size)
            for customer in page.items:
                orders = [
                    stored_order(sale.occurred_at, sale.amount, sale.currency, sale.id)
                    for sale in uow.transactions.for_owner(customer.id)
                    if sale.kind is TransactionKind.ORDER and wanted.start <= sale.occurred_at < wanted.end
                ]
                if not orders:
                    continue
                touches = [
                    stored_touch(point.occurred_at, point.campaign_id)
                    for point in uow.touchpoints.for_owner(customer.id)
                    if point.campaign_id is not None
                    and (earliest is None or earliest <= point.occurred_at)
                    and point.occurred_at < wanted.end
                    and (wanted.campaign_ids is None or point.campaign_id in wanted.campaign_ids)
                    and (wanted.kinds is None or str(point.kind) in wanted.kinds)
                ]
                yield Journey(
                    customer.id,
                    tuple(sorted(orders, key=lambda o: (o.at, o.transaction_id))),
                    tuple(sorted(touches, key=lambda t: (t.at, t.campaign_id))),
                )
            if page.next_after is None:
                return
            after = page.next_after
