"""The scoring namespace of the facade: ``crm.scoring``."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from relcore._kernel import checks as check
from relcore._kernel.arguments import check_id, check_instance, check_limit
from relcore._kernel.namespace import Namespace, UnitOfWorkSource
from relcore.clock import Clock
from relcore.ids import CustomerId, ScoringPlanId
from relcore.marketing import scoring_services as services
from relcore.marketing.scoring import ScoringPlan
from relcore.marketing.scoring_explain import ScoreExplanation
from relcore.marketing.scoring_ports import MAX_OFFSET, ScoringWork, check_outcome
from relcore.marketing.scoring_store import CalibrationBand, CustomerScore, Outcome, RefreshResult
from relcore.segments.rules.catalogue import Catalogue
from relcore.storage.base import Page

__all__ = ["Scoring"]


def _reference(value: object) -> ScoringPlanId | str:
    """A plan named by its id or its name."""
    if isinstance(value, str):
        return check.check_text("plan", value, max_len=100)
    if isinstance(value, ScoringPlan):
        return value.id
    if isinstance(value, UUID):
        return ScoringPlanId(value)
    raise check.fail("plan", f"expected a plan id, name or ScoringPlan, got {check.kind(value)}")


class Scoring(Namespace[ScoringWork]):
    """Scoring plans, their stored scores, explanations and calibration: ``crm.scoring``.

    A plan is named by its id, its name or the plan itself. A refresh raises a
    [ScoreThresholdCrossed][relcore.marketing.ScoreThresholdCrossed] after commit
    for every customer whose label changed since the stored score.

    Example:
        >>> from datetime import UTC, datetime
        >>> from relcore import CRM
        >>> from relcore.domain import Customer
        >>> from relcore.marketing import ScoringGroup, ScoringPlan, ScoringRule
        >>> from relcore.segments import field
        >>> crm = CRM.in_memory()
        >>> ada = crm.customers.add(Customer.person("Ada Lovelace", tags=["vip"]))
        >>> vip = ScoringRule(name="vip", rule=field("tags").has_tag("vip"), points=60)
        >>> plan = crm.scoring.define(ScoringPlan(
        ...     name="Leads", groups=[ScoringGroup(name="who", kind="fit", rules=[vip])],
        ...     thresholds=[(50, "MQL")]))
        >>> result = crm.scoring.refresh("Leads", as_of=datetime(2026, 1, 1, tzinfo=UTC))
        >>> result.customers, result.labels, result.crossed_up
        (1, {'MQL': 1}, 1)
        >>> top = crm.scoring.scores("Leads")
        >>> top[0].total, top[0].label
        (60.0, 'MQL')
    """

    __slots__ = ("_catalogue",)

    def __init__(self, source: UnitOfWorkSource[ScoringWork], clock: Clock, catalogue: Catalogue) -> None:
        super().__init__(source, clock)
        self._catalogue = catalogue

    def define(self, plan: ScoringPlan) -> ScoringPlan:
        """Store a new plan, or a new version of the stored plan of its id or name; return it.

        Raises:
            ValidationError: Not a [ScoringPlan][relcore.marketing.ScoringPlan] (``plan``).
            InvalidRuleError: A rule uses a field or history the catalogue does not know.
            ConflictError: The stored plan has another version than ``plan.version``, or
                another stored plan has its name.
        """
        checked = check_instance("plan", plan, ScoringPlan)
        return self._write(lambda uow: services.define(uow, checked, self._catalogue))

    def get(self, plan: ScoringPlanId | str) -> ScoringPlan:
        """Return the plan with this id or name.

        Raises:
            NotFoundError: There is none.
        """
        wanted = _reference(plan)
        return self._read(lambda uow: services.plan(uow, wanted))

    def find(self, name: str) -> ScoringPlan | None:
        """Return the plan called ``name`` (compared exactly), if any."""
        wanted = check.check_text("name", name, max_len=100)
        return self._read(lambda uow: uow.scoring_plans.find(wanted))

    def list(self, *, after: UUID | None = None, limit: int = 100) -> Page[ScoringPlan]:
        """Return one page of plans in id order."""
        start = None if after is None else check_id("after", after)
        size = check_limit(limit)
        return self._read(lambda uow: uow.scoring_plans.list(after=start, limit=size))

    def refresh(self, plan: ScoringPlanId | str, as_of: datetime | None = None) -> RefreshResult:
        """Compute and store every customer's score on the plan at ``as_of`` (default: now).

        On SQL stores the scores are computed in the database, in one statement; they
        equal the memory store's (decayed points up to floating-point rounding).

        Raises:
            NotFoundError: No such plan.
            ValidationError: ``as_of`` is naive (``as_of``), or ``plan`` is not a plan reference.
        """
        wanted = _reference(plan)
        moment = self._as_of(as_of)
        return self._write(lambda uow: services.refresh(uow, wanted, moment, self._catalogue))

    def explain(
        self, plan: ScoringPlanId | str, customer_id: CustomerId, as_of: datetime | None = None
    ) -> ScoreExplanation:
        """Compute the customer's score at ``as_of`` (default: now) with every step that led to it.

        Raises:
            NotFoundError: No such plan or customer.
        """
        wanted = _reference(plan)
        customer = check_id("customer_id", customer_id)
        moment = self._as_of(as_of)
        return self._read(lambda uow: services.explain(uow, wanted, customer, moment, self._catalogue))

    def score(self, plan: ScoringPlanId | str, customer_id: CustomerId) -> CustomerScore | None:
        """Return the customer's stored score on the plan (the last refresh's), if any."""
        wanted = _reference(plan)
        customer = check_id("customer_id", customer_id)
        return self._read(lambda uow: uow.scores.find(services.plan(uow, wanted).id, customer))

    def scores(
        self, plan: ScoringPlanId | str, *, label: str | None = None, offset: int = 0, limit: int = 10
    ) -> builtins.list[CustomerScore]:
        """Return stored scores by total, highest first (ties by customer id): the top ``limit``.

        Page on with ``offset``; ``label`` keeps one label's customers only.
        """
        wanted = _reference(plan)
        which = None if label is None else check.check_text("label", label, max_len=50)
        skip = check.positive_int("offset", offset, minimum=0, maximum=MAX_OFFSET)
        size = check_limit(limit)
        return self._read(lambda uow: services.scores(uow, wanted, label=which, offset=skip, limit=size))

    def calibration(
        self,
        plan: ScoringPlanId | str,
        *,
        outcome: Outcome | str = Outcome.WON_OPPORTUNITY,
        horizon_days: int = 90,
        bands: Sequence[float] | None = None,
    ) -> builtins.list[CalibrationBand]:
        """The conversion rate of the stored scores per score band, with Wilson intervals.

        A scored customer converts when ``outcome`` happened after their score's
        ``as_of`` and at most ``horizon_days`` days after it, the
        [Outcome][relcore.marketing.Outcome] being ``"won_opportunity"`` (an opportunity
        closed won) or ``"order"`` (an order placed).
        ``bands`` are ascending band edges; by default the plan's threshold points.
        A plan whose rate does not rise from band to band does not tell converters apart.

        Raises:
            ValidationError: Naming ``outcome``, ``horizon_days`` or ``bands``.
        """
        wanted = _reference(plan)
        kind, days = check_outcome(outcome, horizon_days)
        edges = None if bands is None else services.check_bands(bands)
        return self._read(
            lambda uow: services.calibration(uow, wanted, outcome=kind, horizon_days=days, bands=edges)
        )
