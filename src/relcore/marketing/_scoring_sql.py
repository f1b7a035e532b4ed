"""The SQL repository of stored scores: a plan's scores computed in the database, and the stored rows.

[compute][relcore.marketing._scoring_sql.SqlScores.compute] is one ``SELECT`` over
``relcore_customers`` with one column per group of the plan: the group's points, its
limit applied (``LEAST``). A rule that gives its points once is
``CASE WHEN <rule> THEN points ELSE 0 END``, the rule compiled by the segments compiler
([compile_rule][relcore.segments._sql_rules.compile_rule]). A per-event rule counts the
events its leaf counts with a correlated ``COUNT(*)`` over the leaf's scope (its history,
``where`` conditions and window, the group's window narrowing it); under a decay it sums
``POWER(factor, k)`` instead, ``k`` the number of whole periods since the event, computed
from the exact microseconds between the event and ``as_of`` (``TIMESTAMPDIFF`` on
MariaDB / MySQL, the interval's epoch on PostgreSQL, the stored text on SQLite) so that
a period boundary falls where Python's ``timedelta`` puts it. Points are then capped
(``LEAST`` / ``GREATEST``). The plan's sums over groups, its limit and the labels are left
to the caller, which adds the groups in the plan's order as memory does.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs
import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from relcore._kernel.declarations import History
from relcore.errors import NotFoundError
from relcore.ids import CustomerId, ScoringPlanId
from relcore.marketing.scoring import Decay, ScoreKind, ScoringGroup, ScoringPlan, ScoringRule
from relcore.marketing.scoring_ports import (
    ComputedScore,
    check_computation,
    check_outcome,
    check_page,
    check_ranking,
    check_scores,
)
from relcore.marketing.scoring_store import CustomerScore, Outcome
from relcore.segments import Catalogue, validate
from relcore.segments._sql_rules import _Compiler
from relcore.segments.rules.catalogue import DEFAULT_CATALOGUE
from relcore.segments.rules.nodes import Aggregate, Measure, Op
from relcore.storage.rules import check_id, check_ids, check_key
from relcore.storage.sql.dialects import DialectFamily
from relcore.storage.sql.generic import among
from relcore.storage.sql.schema import customers, opportunities, scores, scoring_plans, transactions
from relcore.storage.sql.types import UTCDateTime

if TYPE_CHECKING:
    from relcore.storage.sql.store import SqlUnitOfWork

__all__ = ["SqlScores", "group_columns"]

_BATCH = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECONDS_PER_DAY = 86_400_000_000
_COLUMNS = [f.name for f in attrs.fields(CustomerScore)]


class _Scorer(_Compiler):
    """The segments compiler, whose aggregate leaves can also give a per-event count or weight sum."""

    def __init__(self, as_of: datetime, dialect: Any, catalogue: Catalogue) -> None:
        super().__init__(as_of, dialect, catalogue)
        self._counting = False
        self._decay: Decay | None = None

    def measure(self, rule: Aggregate, history: History, table: Any, scope: Any, currency: object) -> Any:
        if not self._counting:
            return super().measure(rule, history, table, scope, currency)
        if self._decay is None:
            return sa.select(sa.func.count()).where(scope).scalar_subquery()
        periods = self._age_microseconds(table.c[history.time]) // (
            self._decay.period_days * _MICROSECONDS_PER_DAY
        )
        weight = sa.func.power(
            sa.cast(sa.literal(self._decay.factor, sa.Double()), sa.Double()), sa.cast(periods, sa.Double())
        )
        total = sa.func.coalesce(sa.func.sum(weight), sa.cast(sa.literal(0.0, sa.Double()), sa.Double()))
        return sa.select(total).where(scope).scalar_subquery()

    def _age_microseconds(self, time: Any) -> ColumnElement[int]:
        """The exact microseconds from ``time`` (a stored UTC timestamp) to ``as_of``, as an integer."""
        if self.family is DialectFamily.MYSQL:
            moment = sa.literal(self.as_of, UTCDateTime())
            return sa.func.timestampdiff(sa.text("MICROSECOND"), time, moment, type_=sa.BigInteger())
        if self.family is DialectFamily.POSTGRESQL:
            moment = sa.literal(self.as_of, UTCDateTime())
            seconds = sa.extract("epoch", moment - time)
            return sa.cast(sa.func.round(seconds * 1_000_000), sa.BigInteger())
        # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff': whole seconds from strftime, microseconds from the text
        now = (self.as_of - _EPOCH) // timedelta(microseconds=1)
        whole = sa.cast(sa.func.strftime("%s", time), sa.BigInteger())
        fraction = sa.cast(sa.func.substr(time, 21, 6), sa.BigInteger())
        return sa.literal(now, sa.BigInteger()) - (whole * 1_000_000 + fraction)

    def occurrences(self, leaf: Aggregate, decay: Decay | None) -> Any:
        """How many events the leaf counts (weighed by ``decay``), each tested alone."""
        self._counting, self._decay = True, decay
        try:
            value = self.aggregate(attrs.evolve(leaf, full_window=False))
        finally:
            self._counting, self._decay = False, None
        if leaf.full_window and leaf.within_days is not None:
            start = self.as_of - timedelta(days=leaf.within_days)
            value = sa.case((customers.c.created_at <= start, value), else_=0)
        return value

    def least(self, a: Any, b: Any) -> Any:
        return sa.func.min(a, b) if self.sqlite else sa.func.least(a, b)

    def greatest(self, a: Any, b: Any) -> Any:
        return sa.func.max(a, b) if self.sqlite else sa.func.greatest(a, b)


def _rule_points(compiler: _Scorer, rule: ScoringRule, group: ScoringGroup) -> Any:
    condition = rule.rule
    if not rule.per_event or not isinstance(condition, Aggregate):
        return sa.case((compiler.node(condition), rule.points), else_=0)
    if group.window_days is not None:
        days = (
            group.window_days
            if condition.within_days is None
            else min(condition.within_days, group.window_days)
        )
        condition = attrs.evolve(condition, within_days=days)
    points: Any = rule.points * compiler.occurrences(condition, group.decay)
    if rule.cap is not None:
        points = compiler.greatest(-rule.cap, compiler.least(rule.cap, points))
    if _at_least_one(condition):  # holds exactly when it counts an event: no points without one
        return points
    return sa.case((compiler.node(condition), points), else_=0)


def _at_least_one(leaf: Aggregate) -> bool:
    """Whether the leaf is "at least one event": it holds exactly when the events it counts are some."""
    return leaf.measure is Measure.COUNT and (
        (leaf.op is Op.GE and leaf.value == 1) or (leaf.op is Op.GT and leaf.value == 0)
    )


def group_columns(
    plan: ScoringPlan, as_of: datetime, *, dialect: Any, catalogue: Catalogue = DEFAULT_CATALOGUE
) -> builtins.list[Any]:
    """One expression per group of ``plan`` over ``relcore_customers``: the group's points at ``as_of``.

    Every rule is validated on ``catalogue`` first
    ([InvalidRuleError][relcore.errors.InvalidRuleError] names it).
    """
    compiler = _Scorer(as_of, dialect, catalogue)
    columns: builtins.list[Any] = []
    for g, group in enumerate(plan.groups):
        parts = []
        for rule in group.rules:
            validate(rule.rule, catalogue)
            parts.append(_rule_points(compiler, rule, group))
        total: Any = parts[0] if parts else sa.literal(0)
        for part in parts[1:]:
            total = total + part
        if group.limit is not None:
            total = compiler.least(total, group.limit)
        columns.append(total.label(f"g{g}"))
    return columns


class SqlScores:
    """Stored scores in ``relcore_scores``; scores computed over ``relcore_customers``."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def compute(
        self,
        plan: ScoringPlan,
        as_of: datetime,
        *,
        catalogue: Catalogue = DEFAULT_CATALOGUE,
        after: CustomerId | None = None,
        limit: int | None = None,
    ) -> Iterator[ComputedScore]:
        """Yield every customer's score (or a page's), in id order, computed in the database."""
        checked, moment = check_computation(plan, as_of, catalogue)
        start, size = check_page(after, limit)
        columns = group_columns(checked, moment, dialect=self._uow.connection.dialect, catalogue=catalogue)
        query = sa.select(customers.c.id, *columns).order_by(customers.c.id)
        if start is not None:
            query = query.where(customers.c.id > start)
        if size is not None:
            query = query.limit(size)
        combine = combiner(checked)
        result = self._uow.execute(query.execution_options(yield_per=_BATCH), what="compute scores")
        with self._uow.translating("compute scores"):
            for batch in result.partitions():
                for customer_id, *points in batch:
                    yield combine(customer_id, list(map(float, points)))

    def lock(self, plan: ScoringPlanId | str) -> ScoringPlanId:
        """Lock the plan's row (``SELECT ... FOR UPDATE``; SQLite's writers take turns anyway)."""
        table = scoring_plans
        if isinstance(plan, str):
            condition = table.c.name == check_key("plan", plan, max_len=100)
        else:
            condition = table.c.id == check_id("plan", plan)
        query = sa.select(table.c.id).where(condition).with_for_update()
        found = self._uow.execute(query, what="lock scoring plan").scalar_one_or_none()
        if found is None:
            raise NotFoundError("scoring plan", plan)
        return ScoringPlanId(found)

    def replace(self, plan_id: ScoringPlanId, scores_: Iterable[CustomerScore]) -> int:
        """Make ``scores_`` the plan's only stored scores."""
        wanted = self._plan_id(plan_id)
        self._uow.execute(scores.delete().where(scores.c.plan_id == wanted), what="clear scores")
        return self._write(wanted, scores_)

    def store(self, plan_id: ScoringPlanId, scores_: Iterable[CustomerScore]) -> int:
        """Store ``scores_`` in place of those customers' stored ones; keep the plan's others."""
        return self._write(self._plan_id(plan_id), scores_)

    def _plan_id(self, plan_id: ScoringPlanId) -> ScoringPlanId:
        wanted = ScoringPlanId(check_id("plan_id", plan_id))
        query = sa.select(scoring_plans.c.id).where(scoring_plans.c.id == wanted)
        if self._uow.execute(query, what="find plan").first() is None:
            raise NotFoundError("scoring plan", wanted)
        return wanted

    def _write(self, wanted: ScoringPlanId, scores_: Iterable[CustomerScore]) -> int:
        """Insert the rows chunk by chunk, each after deleting what its customers had (the last one wins)."""
        execute, dialect = self._uow.execute, self._uow.connection.dialect
        items, seen = check_scores(wanted, scores_), set[CustomerId]()
        while chunk := list(islice(items, _BATCH)):
            rows = {item.customer_id: {c: getattr(item, c) for c in _COLUMNS} for item in chunk}
            fresh = [cid for cid in rows if cid not in seen]
            known: set[CustomerId] = set()
            for condition in among(customers.c.id, fresh, dialect):
                query = sa.select(customers.c.id).where(condition)
                known.update(execute(query, what="find customers").scalars())
            missing = [cid for cid in fresh if cid not in known]
            if missing:
                raise NotFoundError("customer", missing[0])
            for condition in among(scores.c.customer_id, list(rows), dialect):
                replaced = scores.delete().where(scores.c.plan_id == wanted, condition)
                execute(replaced, what="replace scores")
            execute(scores.insert(), list(rows.values()), what="store scores")
            self._uow.grew(scores, len(rows))
            seen.update(rows)
        return len(seen)

    def labels(
        self, plan_id: ScoringPlanId, customer_ids: Collection[CustomerId] | None = None
    ) -> dict[CustomerId, str | None]:
        """The stored label of every customer scored on the plan, or of those of ``customer_ids``."""
        wanted = check_id("plan_id", plan_id)
        query = sa.select(scores.c.customer_id, scores.c.label).where(scores.c.plan_id == wanted)
        if customer_ids is None:
            rows = self._uow.execute(query, what="read score labels").all()
        else:
            who = sorted(set(check_ids("customer_ids", customer_ids)))
            rows = []
            for condition in among(scores.c.customer_id, who, self._uow.connection.dialect):
                rows += self._uow.execute(query.where(condition), what="read score labels").all()
        return {CustomerId(customer_id): label for customer_id, label in rows}

    def find(self, plan_id: ScoringPlanId, customer_id: CustomerId) -> CustomerScore | None:
        """The customer's stored score on the plan, if any."""
        query = sa.select(scores).where(
            scores.c.plan_id == check_id("plan_id", plan_id),
            scores.c.customer_id == check_id("customer_id", customer_id),
        )
        row = self._uow.execute(query, what="read score").mappings().first()
        return None if row is None else CustomerScore(**dict(row))

    def for_owner(self, owner_id: UUID) -> builtins.list[CustomerScore]:
        """The customer's stored scores, one per plan, by plan id."""
        query = (
            sa.select(scores)
            .where(scores.c.customer_id == check_id("owner_id", owner_id))
            .order_by(scores.c.plan_id)
        )
        return [CustomerScore(**dict(r)) for r in self._uow.execute(query, what="read scores").mappings()]

    def ranked(
        self, plan_id: ScoringPlanId, *, label: str | None = None, offset: int = 0, limit: int = 10
    ) -> builtins.list[CustomerScore]:
        """Stored scores by total, highest first, ties by customer id."""
        wanted = check_id("plan_id", plan_id)
        which, skip, size = check_ranking(label, offset, limit)
        query = sa.select(scores).where(scores.c.plan_id == wanted)
        if which is not None:
            query = query.where(scores.c.label == which)
        query = query.order_by(scores.c.total.desc(), scores.c.customer_id).offset(skip).limit(size)
        return [CustomerScore(**dict(r)) for r in self._uow.execute(query, what="rank scores").mappings()]

    def count(self, plan_id: ScoringPlanId) -> int:
        """How many customers have a stored score on the plan."""
        query = (
            sa.select(sa.func.count())
            .select_from(scores)
            .where(scores.c.plan_id == check_id("plan_id", plan_id))
        )
        return int(self._uow.execute(query, what="count scores").scalar_one())

    def outcomes(
        self, plan_id: ScoringPlanId, outcome: Outcome, horizon_days: int
    ) -> builtins.list[tuple[float, bool]]:
        """Each stored total, and whether the customer reached ``outcome`` in the horizon after ``as_of``."""
        wanted = check_id("plan_id", plan_id)
        kind, days = check_outcome(outcome, horizon_days)
        moments = self._uow.execute(
            sa.select(scores.c.as_of).where(scores.c.plan_id == wanted).distinct(), what="read score moments"
        ).scalars()
        found: builtins.list[tuple[Any, float, bool]] = []
        for start in builtins.list(moments):
            end = start + timedelta(days=days)
            if kind is Outcome.WON_OPPORTUNITY:
                reached = sa.exists().where(
                    opportunities.c.customer_id == scores.c.customer_id,
                    opportunities.c.outcome == "won",
                    opportunities.c.closed_at > start,
                    opportunities.c.closed_at <= end,
                )
            else:
                reached = sa.exists().where(
                    transactions.c.customer_id == scores.c.customer_id,
                    transactions.c.kind == "order",
                    transactions.c.occurred_at > start,
                    transactions.c.occurred_at <= end,
                )
            query = sa.select(scores.c.customer_id, scores.c.total, reached).where(
                scores.c.plan_id == wanted, scores.c.as_of == start
            )
            rows = self._uow.execute(query, what="read score outcomes")
            found.extend((customer_id, float(total), bool(hit)) for customer_id, total, hit in rows)
        found.sort(key=lambda row: row[0])
        return [(total, hit) for _, total, hit in found]


def combiner(plan: ScoringPlan) -> Callable[[CustomerId, Sequence[float]], ComputedScore]:
    """Adds a customer's groups' points into fit, engagement and total, in the plan's order as memory does."""
    fit = [i for i, group in enumerate(plan.groups) if group.kind is ScoreKind.FIT]
    engagement = [i for i, group in enumerate(plan.groups) if group.kind is ScoreKind.ENGAGEMENT]
    limit = plan.limit

    def combine(customer_id: CustomerId, points: Sequence[float]) -> ComputedScore:
        total = sum(points)
        return (
            customer_id,
            float(sum(points[i] for i in fit)) if fit else None,
            float(sum(points[i] for i in engagement)) if engagement else None,
            float(total if limit is None else min(total, limit)),
        )

    return combine
