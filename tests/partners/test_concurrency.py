"""Two writers proposing two primaries for one deal at once: exactly one wins, the other gets ConflictError.

The deal is the consistency boundary: changing the primary saves the deal
version-checked, so the second writer's save of the deal finds another
version on every backend.
"""

from __future__ import annotations

import threading

import pytest

from relcore import CRM, ConflictError, Customer
from relcore.partners import services
from relcore.registry import Store
from relcore.testing.contracts import FixedClock
from tests.partners._world import T0, day, direct, open_deal, reseller


@pytest.fixture
def crm(store: Store) -> CRM:
    return CRM(store, clock=FixedClock(day(100)))


def _two_candidates(crm: CRM) -> tuple[object, Customer, Customer]:
    acme = crm.customers.add(Customer.organization("Acme", country="FR", created_at=T0))
    deal = open_deal(crm, acme, direct(crm), "100.00")
    first, second = reseller(crm, "First"), reseller(crm, "Second")
    crm.partners.add(deal.id, first.id, "reseller", at=day(1))
    crm.partners.add(deal.id, second.id, "reseller", at=day(1))
    return deal.id, first, second


def test_two_threads_proposing_primaries_at_once_one_wins(crm: CRM) -> None:
    deal_id, first, second = _two_candidates(crm)
    seen = crm.sales.get(deal_id).version  # type: ignore[arg-type]
    start = threading.Barrier(2, timeout=60)
    outcomes: dict[object, str] = {}

    def propose(partner: Customer) -> None:
        start.wait()
        try:
            crm.partners.set_primary(deal_id, partner.id, version=seen)  # type: ignore[arg-type]
        except ConflictError:
            outcomes[partner.id] = "conflict"
        else:
            outcomes[partner.id] = "won"

    threads = [threading.Thread(target=propose, args=(p,)) for p in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes.values()) == ["conflict", "won"]
    [winner] = [who for who, outcome in outcomes.items() if outcome == "won"]
    primaries = [link.partner_id for link in crm.partners.on_deal(deal_id) if link.primary]  # type: ignore[arg-type]
    assert primaries == [winner]
    assert crm.sales.get(deal_id).version == seen + 1  # type: ignore[arg-type]


def test_interleaved_units_of_work_the_later_commit_conflicts(crm: CRM, backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite writers take the write lock when they begin: two never interleave (see above)")
    deal_id, first, second = _two_candidates(crm)
    with crm.unit_of_work() as mine:
        seen = mine.opportunities.get(deal_id).version  # type: ignore[arg-type]
        with crm.unit_of_work() as theirs:
            read = theirs.opportunities.get(deal_id).version  # type: ignore[arg-type]
            services.set_primary(theirs, deal_id, second.id, read)  # type: ignore[arg-type]
            theirs.commit()
        with pytest.raises(ConflictError):
            services.set_primary(mine, deal_id, first.id, seen)  # type: ignore[arg-type]
    primaries = [link.partner_id for link in crm.partners.on_deal(deal_id) if link.primary]  # type: ignore[arg-type]
    assert primaries == [second.id]
