"""Two writers advancing one deal at once: exactly one wins, the other gets ConflictError, on every backend.

Every operation on a deal saves it version-checked (``UPDATE ... WHERE
version = ?``), so of two writers that read the same version, the second to
write finds another one; its history entry is not written either.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest

from relcore import CRM, ConflictError, Customer
from relcore.registry import Store
from relcore.sales import ChangeKind, Opportunity, Pipeline, decisions
from relcore.testing.contracts import FixedClock

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


@pytest.fixture
def crm(store: Store) -> CRM:
    return CRM(store, clock=FixedClock(T0 + timedelta(days=100)))


def _deal(crm: CRM) -> Opportunity:
    acme = crm.customers.add(Customer.organization("Acme", created_at=T0))
    stages = [("qualify", "Qualify", "0.1"), ("propose", "Propose", "0.4"), ("negotiate", "Negotiate", "0.7")]
    direct = crm.sales.add_pipeline(Pipeline.of("Direct", stages, currency="EUR", created_at=T0))
    deal = Opportunity(
        customer_id=acme.id, pipeline_id=direct.id, stage="qualify", name="d", amount="100", currency="EUR",
        close_date=date(2026, 3, 31), created_at=T0,
    )  # fmt: skip
    return crm.sales.open(deal)


def test_two_threads_advancing_one_deal_one_wins(crm: CRM) -> None:
    deal = _deal(crm)
    start = threading.Barrier(2, timeout=60)
    outcomes: dict[str, str] = {}

    def advance(stage: str) -> None:
        start.wait()
        try:
            crm.sales.advance(deal.id, stage, at=T0 + timedelta(days=1), version=deal.version)
        except ConflictError:
            outcomes[stage] = "conflict"
        else:
            outcomes[stage] = "won"

    threads = [threading.Thread(target=advance, args=(s,)) for s in ("propose", "negotiate")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes.values()) == ["conflict", "won"]
    [winner] = [stage for stage, outcome in outcomes.items() if outcome == "won"]
    stored = crm.sales.get(deal.id)
    assert (stored.stage, stored.version) == (winner, deal.version + 1)
    assert [c.kind for c in crm.sales.history(deal.id)] == [ChangeKind.OPENED, ChangeKind.STAGE]


def test_interleaved_units_of_work_the_later_save_conflicts(crm: CRM, backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite writers take the write lock when they begin: two never interleave (see above)")
    deal = _deal(crm)
    with crm.unit_of_work() as mine:
        seen = mine.opportunities.get(deal.id)
        pipeline = mine.pipelines.get(deal.pipeline_id)
        with crm.unit_of_work() as theirs:
            crm_deal = theirs.opportunities.get(deal.id)
            decided = decisions.advance(crm_deal, pipeline, "propose", at=T0 + timedelta(days=1))
            theirs.opportunities.save(decided.opportunity)
            theirs.commit()
        mine_decided = decisions.advance(seen, pipeline, "negotiate", at=T0 + timedelta(days=1))
        with pytest.raises(ConflictError):
            mine.opportunities.save(mine_decided.opportunity)
    assert crm.sales.get(deal.id).stage == "propose"
