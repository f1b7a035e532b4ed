"""A reproducible year of sales: a pipeline, deals that walk it, partners on some of them.

[SyntheticSales][relcore.testing.synthetic_sales.SyntheticSales] gives the
organizations of a store a sales pipeline and deals opened over a period.
Each deal has a hidden quality; at each step it advances (now and then
skipping a stage), slips, gets its close date pushed, or is lost for a
weighted reason, and a deal in the last open stage is won with a chance that
grows with its quality. A few organizations become resellers with a partner
profile, and bring (or influence) some deals. Everything goes through the
sales and partner use cases, so the history is what a real host would write,
and the same seed gives the same book.

Example:
    >>> from datetime import UTC, datetime
    >>> from relcore import CRM, Customer
    >>> crm = CRM.in_memory()
    >>> orgs = [crm.customers.add(Customer.organization(f"Org {i}", country="FR")) for i in range(20)]
    >>> sales = SyntheticSales(start=datetime(2025, 1, 1, tzinfo=UTC), end=datetime(2026, 1, 1, tzinfo=UTC))
    >>> made = sales.build(crm, [o.id for o in orgs])
    >>> made.deals > 0 and made.deals == made.open + made.won + made.lost
    True
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

import attrs

from relcore.crm import CRM
from relcore.customers.model import RelationshipKind
from relcore.ids import CustomerId
from relcore.partners import services as partner_services
from relcore.partners.decisions import DEFAULT_WINDOW
from relcore.partners.model import PartnerProfile, PartnerRole
from relcore.registry import UnitOfWork
from relcore.sales import decisions
from relcore.sales import services as sales_services
from relcore.sales.model import Opportunity
from relcore.sales.pipelines import Pipeline, Stage

__all__ = ["LOST_REASONS", "SalesMade", "SyntheticSales"]

LOST_REASONS = {
    "price": 5,
    "competition": 4,
    "no_decision": 3,
    "timing": 2,
    "missing_features": 2,
    "budget": 1,
}
"""The reasons synthetic deals are lost for, with their weights."""

_SOURCES = {"web": 4, "referral": 2, "event": 2, "partner": 2}


@attrs.frozen
class SalesMade:
    """What [SyntheticSales.build][relcore.testing.synthetic_sales.SyntheticSales.build] stored.

    Attributes:
        pipeline: The pipeline.
        deals: How many deals.
        open: How many are open at the end.
        won: How many were won.
        lost: How many were lost.
        partners: The organizations that became resellers.
    """

    pipeline: Pipeline
    deals: int
    open: int
    won: int
    lost: int
    partners: tuple[CustomerId, ...]


@attrs.frozen
class SyntheticSales:
    """A reproducible sales process over ``start`` to ``end`` (see the module).

    Attributes:
        start: When the first deals open.
        end: Nothing happens at or after it.
        seed: Seed of every random choice.
        deals_per_organization: Average number of deals per organization.
        partner_share: Share of organizations that become resellers.
        currency: The deals' currency.
    """

    start: datetime
    end: datetime
    seed: int = 0
    deals_per_organization: float = 2.0
    partner_share: float = 0.05
    currency: str = "EUR"

    def pipeline(self) -> Pipeline:
        """The pipeline the deals run in: four open stages, won and lost."""
        stages = [
            Stage(key="qualify", label="Qualify", position=0, probability="0.1", rotting_days=30),
            Stage(key="discover", label="Discover", position=1, probability="0.25", rotting_days=30),
            Stage(
                key="propose", label="Propose", position=2, probability="0.5", forecast_category="best_case",
                required_fields=("amount",), rotting_days=21,
            ),
            Stage(
                key="negotiate", label="Negotiate", position=3, probability="0.75",
                forecast_category="commit", required_fields=("amount", "close_date"), rotting_days=14,
            ),
            Stage.won(position=4),
            Stage.lost(position=5),
        ]  # fmt: skip
        return Pipeline(
            name="Direct sales",
            default=True,
            currency=self.currency,
            timezone="Europe/Paris",
            stages=stages,
            lost_reasons=tuple(LOST_REASONS),
            win_probability=True,
            created_at=self.start,
        )

    def build(self, crm: CRM, organizations: Sequence[CustomerId]) -> SalesMade:
        """Store the pipeline, the resellers and every deal with its history, in one unit of work."""
        rng = random.Random(self.seed)
        pipeline = self.pipeline()
        with crm.unit_of_work() as uow:
            sales_services.add_pipeline(uow, pipeline)
            partners = self._partners(uow, rng, organizations)
            counts = {"open": 0, "won": 0, "lost": 0}
            deals = 0
            for organization in organizations:
                for _ in range(self._how_many(rng)):
                    outcome = self._deal(uow, rng, pipeline, organization, partners)
                    counts[outcome] += 1
                    deals += 1
            uow.commit()
        return SalesMade(pipeline, deals, counts["open"], counts["won"], counts["lost"], tuple(partners))

    def _how_many(self, rng: random.Random) -> int:
        whole = int(self.deals_per_organization)
        return (
            whole + (1 if rng.random() < self.deals_per_organization - whole else 0) + rng.choice((-1, 0, 1))
        )

    def _partners(
        self, uow: UnitOfWork, rng: random.Random, organizations: Sequence[CustomerId]
    ) -> list[CustomerId]:
        chosen = [o for o in organizations if rng.random() < self.partner_share]
        for partner in chosen:
            customer = uow.customers.get(partner)
            roles = customer.roles | {RelationshipKind.RESELLER}
            uow.customers.save(attrs.evolve(customer, roles=roles))
            profile = PartnerProfile(
                customer_id=partner,
                tier=rng.choice(["gold", "silver", "silver", "bronze"]),
                territories=(customer.country or "FR",),
                weight=rng.randint(1, 5),
                commission_rate=Decimal(rng.choice([5, 8, 10, 12])).scaleb(-2),
                active_from=self.start.date(),
                created_at=self.start,
            )
            partner_services.add_profile(uow, profile)
        return chosen

    def _deal(
        self,
        uow: UnitOfWork,
        rng: random.Random,
        pipeline: Pipeline,
        organization: CustomerId,
        partners: list[CustomerId],
    ) -> str:
        span = (self.end - self.start).total_seconds()
        at = self.start + timedelta(seconds=rng.uniform(0, span * 0.95))
        source = rng.choices(list(_SOURCES), weights=list(_SOURCES.values()))[0]
        local = pipeline.local_date(at)
        deal = Opportunity(
            customer_id=organization,
            pipeline_id=pipeline.id,
            stage="qualify",
            name=rng.choice(["Licences", "Renewal", "Upgrade", "Services", "Pilot"]),
            amount=Decimal(rng.randint(10, 600) * 100),
            currency=self.currency,
            close_date=local + timedelta(days=rng.randint(30, 120)),
            owner=f"rep-{rng.randint(1, 6)}",
            source=source,
            created_at=at,
        )
        deal = sales_services.open_opportunity(uow, deal, actor=deal.owner)
        others = [p for p in partners if p != organization]
        if others and (source == "partner" or rng.random() < 0.1):
            partner_services.add_partner(
                uow, deal.id, rng.choice(others), PartnerRole.RESELLER, at=at, primary=True,
                sourced=source == "partner", window=DEFAULT_WINDOW,
            )  # fmt: skip
        quality = rng.random()
        open_stages = [s.key for s in pipeline.open_stages]
        position = 0
        while True:
            at += timedelta(days=rng.uniform(3, 25))
            if at >= self.end:
                return "open"
            roll = rng.random()
            if position == len(open_stages) - 1:
                if roll < 0.25 + 0.6 * quality:
                    self._apply(uow, deal.id, lambda d, p, t=at: decisions.win(d, p, at=t))
                    return "won"
                if roll < 0.8:
                    reason = rng.choices(list(LOST_REASONS), weights=list(LOST_REASONS.values()))[0]
                    self._apply(
                        uow, deal.id, lambda d, p, t=at, r=reason: decisions.lose(d, p, reason=r, at=t)
                    )
                    return "lost"
            elif roll < 0.3 + 0.5 * quality:
                position = min(position + (2 if rng.random() < 0.1 else 1), len(open_stages) - 1)
                key = open_stages[position]
                self._apply(uow, deal.id, lambda d, p, t=at, k=key: decisions.advance(d, p, k, at=t))
                continue
            elif roll < 0.55 + 0.2 * quality:
                pass
            elif roll < 0.8:
                reason = rng.choices(list(LOST_REASONS), weights=list(LOST_REASONS.values()))[0]
                self._apply(uow, deal.id, lambda d, p, t=at, r=reason: decisions.lose(d, p, reason=r, at=t))
                return "lost"
            if rng.random() < 0.3:
                later = timedelta(days=rng.randint(7, 45))
                self._apply(uow, deal.id, lambda d, p, t=at, n=later: decisions.change_close_date(
                    d, (d.close_date or p.local_date(t)) + n, at=t))  # fmt: skip

    @staticmethod
    def _apply(uow: UnitOfWork, deal_id: object, decide: object) -> None:
        sales_services.operate(uow, deal_id, None, decide)  # type: ignore[arg-type]
