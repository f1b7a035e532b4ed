"""Partner reports through ``crm.partners`` on every backend, against figures worked by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from relcore import CRM, Customer
from relcore.ids import CustomerId
from relcore.partners import Attribution, Commission, CommissionDue, PipelineLine
from relcore.registry import Store
from relcore.testing.contracts import FixedClock
from tests.partners._world import T0, day, direct, open_deal, reseller

SRC, INF = Attribution.SOURCED, Attribution.INFLUENCED


@pytest.fixture
def crm(store: Store) -> CRM:
    return CRM(store, clock=FixedClock(day(100)))


@pytest.fixture
def acme(crm: CRM) -> Customer:
    return crm.customers.add(Customer.organization("Acme", country="FR", created_at=T0))


def test_commission_is_won_amount_times_the_rate_rounded_half_even_per_currency(
    crm: CRM, acme: Customer
) -> None:
    eur, jpy, kwd = direct(crm), direct(crm, "JPY", "Yen"), direct(crm, "KWD", "Dinar")
    p1, p2 = reseller(crm, "P1", rate="0.05"), reseller(crm, "P2", rate="0.1")
    a = open_deal(crm, acme, eur, "100.50")
    b = open_deal(crm, acme, eur, "100.70")
    c = open_deal(crm, acme, jpy, "12345")
    d = open_deal(crm, acme, kwd, "10.005")
    lost = open_deal(crm, acme, eur, "999.00")
    late = open_deal(crm, acme, eur, "500.00")
    crm.partners.add(a.id, p1.id, "reseller", sourced=True, at=day(1))
    crm.partners.add(a.id, p2.id, "influencer", commission_rate="0.02", at=day(1))
    crm.partners.add(b.id, p1.id, "reseller", sourced=True, at=day(1))
    crm.partners.add(c.id, p2.id, "reseller", sourced=True, at=day(1))
    crm.partners.add(d.id, p1.id, "reseller", commission_rate="0.5", at=day(1))
    crm.partners.add(lost.id, p1.id, "reseller", at=day(1))
    crm.partners.add(late.id, p1.id, "reseller", at=day(1))
    for deal, when in ((a, 10), (b, 11), (c, 12), (d, 13)):
        crm.sales.win(deal.id, at=day(when))
    crm.sales.lose(lost.id, reason="price", at=day(14))
    crm.sales.win(late.id, at=day(40))  # after the window's end (excluded)
    lines = crm.partners.commissions(start=day(0), end=day(30))
    expected = [
        # P1 on A: 100.50 x 0.05 = 5.025, half to even -> 5.02
        Commission(p1.id, a.id, "EUR", Decimal("100.50"), Decimal("0.05"), Decimal("5.02"), day(10)),
        # P1 on B: 100.70 x 0.05 = 5.035, half to even -> 5.04
        Commission(p1.id, b.id, "EUR", Decimal("100.70"), Decimal("0.05"), Decimal("5.04"), day(11)),
        # P1 on D: 10.005 KWD x 0.5 (override) = 5.0025, three decimals, half to even -> 5.002
        Commission(p1.id, d.id, "KWD", Decimal("10.005"), Decimal("0.5"), Decimal("5.002"), day(13)),
        # P2 on A: 100.50 x 0.02 (override) = 2.0100 -> 2.01
        Commission(p2.id, a.id, "EUR", Decimal("100.50"), Decimal("0.02"), Decimal("2.01"), day(10)),
        # P2 on C: 12345 JPY x 0.1 = 1234.5, no decimals, half to even -> 1234
        Commission(p2.id, c.id, "JPY", Decimal("12345"), Decimal("0.1"), Decimal("1234"), day(12)),
    ]
    expected.sort(key=lambda x: (x.partner_id, x.closed_at))
    assert lines == expected
    assert [str(line.amount) for line in lines] == [
        str(line.amount) for line in expected
    ]  # the minor unit's places
    due = crm.partners.commissions_due(start=day(0), end=day(30))
    assert due == sorted(
        [
            CommissionDue(p1.id, "EUR", Decimal("10.06"), 2),  # 5.02 + 5.04
            CommissionDue(p1.id, "KWD", Decimal("5.002"), 1),
            CommissionDue(p2.id, "EUR", Decimal("2.01"), 1),
            CommissionDue(p2.id, "JPY", Decimal("1234"), 1),
        ],
        key=lambda x: (x.partner_id, x.currency),
    )
    # as of a moment before the wins, nothing was won yet
    assert crm.partners.commissions(start=day(0), end=day(30), as_of=day(9)) == []


def _line(who: CustomerId | None, kind: Attribution, currency: str, *figures: str) -> PipelineLine:
    open_count, open_amount, weighted, won_count, won_amount = figures
    return PipelineLine(
        who,
        kind,
        currency,
        int(open_count),
        Decimal(open_amount),
        Decimal(weighted),
        int(won_count),
        Decimal(won_amount),
    )


def test_sourced_and_influenced_pipeline_count_each_deal_once_in_the_totals(crm: CRM, acme: Customer) -> None:
    eur, usd = direct(crm), direct(crm, "USD", "Dollars")
    p1, p2 = reseller(crm, "P1"), reseller(crm, "P2")
    d1 = open_deal(crm, acme, eur, "1000", stage="propose")  # 40 %
    d2 = open_deal(crm, acme, eur, "500")  # qualify, 10 %
    d3 = open_deal(crm, acme, eur, "2000", stage="negotiate", probability="0.25")  # override 25 %
    d4 = open_deal(crm, acme, eur, "300")
    d5 = open_deal(crm, acme, usd, "700")
    d6 = open_deal(crm, acme, eur, "9999")  # no partner
    d7 = open_deal(crm, acme, eur, "800")
    d8 = open_deal(crm, acme, eur, None)  # no amount
    for who in (p1, p2):
        crm.partners.add(d1.id, who.id, "reseller", sourced=True, at=day(1))  # two sourced links: one deal
        crm.partners.add(d2.id, who.id, "influencer", at=day(1))
        crm.partners.add(d8.id, who.id, "influencer", at=day(1))
    crm.partners.add(d3.id, p1.id, "reseller", sourced=True, at=day(1))
    crm.partners.add(d3.id, p2.id, "influencer", at=day(1))
    crm.partners.add(d4.id, p2.id, "referrer", sourced=True, at=day(1))
    crm.partners.add(d5.id, p1.id, "reseller", sourced=True, at=day(1))
    crm.partners.add(d7.id, p1.id, "reseller", sourced=True, registered_at=day(2), at=day(2))
    crm.partners.decide(d7.id, p1.id, "declined", at=day(3))
    crm.sales.win(d4.id, at=day(10))
    crm.sales.advance(d1.id, "negotiate", at=day(40))  # after as_of: d1 counts in propose
    del d6
    lines = crm.partners.pipeline(start=day(0), end=day(60), as_of=day(30))
    one, two = sorted([p1.id, p2.id])
    by_partner = {
        p1.id: [
            _line(p1.id, SRC, "EUR", "2", "3000", "900", "0", "0"),  # d1 1000 x 0.4 + d3 2000 x 0.25
            _line(p1.id, SRC, "USD", "1", "700", "70", "0", "0"),  # d5 700 x 0.1
            _line(p1.id, INF, "EUR", "1", "500", "50", "0", "0"),  # d2 500 x 0.1
        ],
        p2.id: [
            _line(p2.id, SRC, "EUR", "1", "1000", "400", "1", "300"),  # d1, and d4 won
            _line(p2.id, INF, "EUR", "2", "2500", "550", "0", "0"),  # d2 50 + d3 500
        ],
    }
    expected = [
        _line(None, SRC, "EUR", "2", "3000", "900", "1", "300"),  # d1 once, d3; d4 won
        _line(None, SRC, "USD", "1", "700", "70", "0", "0"),
        _line(None, INF, "EUR", "1", "500", "50", "0", "0"),  # d2 once
        *by_partner[one],
        *by_partner[two],
    ]
    assert lines == expected
    # sourced + influenced totals are the whole partner pipeline: 3000 + 500 open EUR, d6 and d7 left out
    assert sum(x.open_amount for x in lines if x.partner_id is None and x.currency == "EUR") == Decimal(
        "3500"
    )
    now = crm.partners.pipeline(start=day(0), end=day(60), as_of=day(50))
    assert now[0] == _line(None, SRC, "EUR", "2", "3000", "1200", "1", "300")  # d1 at 70 % now: 700 + 500
