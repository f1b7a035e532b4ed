"""The sales namespace of the facade: ``crm.sales``."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from uuid import UUID

from relcore._kernel import checks as check
from relcore._kernel.arguments import check_callable, check_id
from relcore._kernel.namespace import Namespace
from relcore.ids import OpportunityId, PipelineId
from relcore.sales import decisions, queries, services, win_refresh
from relcore.sales._history import check_window
from relcore.sales.decisions import Decision
from relcore.sales.forecasts import ExchangeRates, Forecast, Period, WeightedLine
from relcore.sales.funnel import Ratio, StageConversion, StageDuration, Tally
from relcore.sales.model import Opportunity, OpportunityChange
from relcore.sales.performance import SalesVelocity
from relcore.sales.pipelines import ForecastCategory, Pipeline
from relcore.sales.ports import SalesWork
from relcore.sales.rotting import OverdueDeal, RottingDeal
from relcore.sales.waterfall import Waterfall
from relcore.sales.win_calibration import Calibration
from relcore.sales.win_refresh import ProbabilityExplanation, Progress
from relcore.sales.win_runs import WinRun
from relcore.storage.base import Page
from relcore.storage.rules import check_limit

__all__ = ["Sales"]

Decide = Callable[[Opportunity, Pipeline], Decision]


def _version(version: object) -> int | None:
    return None if version is None else check.positive_int("version", version, minimum=1)


def _actor(actor: object) -> str | None:
    return None if actor is None else check.check_text("actor", actor, max_len=100)


class Sales(Namespace[SalesWork]):
    """Pipelines, deals and their history: ``crm.sales``.

    Every operation on a deal takes ``at`` (when it happened; default now,
    and never before the deal's last recorded change), an optional
    ``version`` (the version the caller last saw: a deal changed since then
    raises [ConflictError][relcore.errors.ConflictError]) and an optional
    ``actor`` (the host's id of who did it), writes one history entry, and
    returns the stored deal.

    Example:
        >>> from datetime import UTC, datetime
        >>> from relcore import CRM, Customer
        >>> from relcore.sales import Opportunity, Pipeline
        >>> crm = CRM.in_memory()
        >>> acme = crm.customers.add(Customer.organization("Acme"))
        >>> direct = crm.sales.add_pipeline(Pipeline.of(
        ...     "Direct", [("qualify", "Qualify", "0.1"), ("propose", "Propose", "0.4")], currency="EUR"))
        >>> deal = crm.sales.open(Opportunity(customer_id=acme.id, pipeline_id=direct.id, stage="qualify",
        ...                                   name="50 seats", amount="12000", currency="EUR",
        ...                                   created_at=datetime(2026, 1, 5, tzinfo=UTC)))
        >>> deal = crm.sales.advance(deal.id, "propose", at=datetime(2026, 1, 20, tzinfo=UTC))
        >>> deal = crm.sales.win(deal.id, at=datetime(2026, 2, 2, tzinfo=UTC), amount="11500")
        >>> deal.outcome.value, deal.amount, deal.version
        ('won', Decimal('11500'), 3)
        >>> print(*(f"{c.kind.value}:{c.stage}" for c in crm.sales.history(deal.id)))
        opened:qualify stage:propose won:won
    """

    __slots__ = ()

    # -- pipelines -------------------------------------------------------------

    def add_pipeline(self, pipeline: Pipeline) -> Pipeline:
        """Store a new pipeline; return it. A new default pipeline replaces the previous default.

        Raises:
            ConflictError: Another pipeline has its name.
        """
        return self._write(lambda uow: services.add_pipeline(uow, pipeline))

    def save_pipeline(self, pipeline: Pipeline) -> Pipeline:
        """Store a changed pipeline (version-checked); return the stored one.

        Raises:
            ValidationError: A stage some deal is or was in was removed, or changed its outcome
                (deactivate it instead).
            ConflictError: Stale version, or another pipeline has its name.
        """
        return self._write(lambda uow: services.save_pipeline(uow, pipeline))

    def pipeline(self, pipeline_id: PipelineId) -> Pipeline:
        """Return the pipeline with ``pipeline_id``.

        Raises:
            NotFoundError: No such pipeline.
        """
        wanted = check_id("pipeline_id", pipeline_id)
        return self._read(lambda uow: uow.pipelines.get(wanted))

    def find_pipeline(self, name: str) -> Pipeline | None:
        """Return the pipeline called ``name``, if there is one."""
        wanted = check.check_text("name", name, max_len=100)
        return self._read(lambda uow: uow.pipelines.find(wanted))

    def pipelines(self) -> list[Pipeline]:
        """Every pipeline, in id order (their creation order)."""
        return self._read(queries.every_pipeline)

    # -- deals -----------------------------------------------------------------

    def open(self, opportunity: Opportunity, *, actor: str | None = None) -> Opportunity:
        """Store a new deal, opened at its ``created_at`` in its stage; return it.

        Raises:
            NotFoundError: Its customer, contact or pipeline does not exist.
            ValidationError: Its stage is not an open, active stage of its pipeline, or a field
                the stage requires is unset.
        """
        who = _actor(actor)
        return self._write(lambda uow: services.open_opportunity(uow, opportunity, who))

    def get(self, opportunity_id: OpportunityId) -> Opportunity:
        """Return the deal with ``opportunity_id``.

        Raises:
            NotFoundError: No such deal.
        """
        wanted = check_id("opportunity_id", opportunity_id)
        return self._read(lambda uow: uow.opportunities.get(wanted))

    def list(
        self, pipeline_id: PipelineId | None = None, *, after: UUID | None = None, limit: int = 100
    ) -> Page[Opportunity]:
        """One page of deals (of one pipeline, or all), in id order."""
        start = None if after is None else check_id("after", after)
        size = check_limit(limit)
        if pipeline_id is None:
            return self._read(lambda uow: uow.opportunities.list(after=start, limit=size))
        wanted = check_id("pipeline_id", pipeline_id)
        return self._read(lambda uow: uow.opportunities.in_pipeline(wanted, after=start, limit=size))

    def for_customer(self, customer_id: UUID) -> builtins.list[Opportunity]:
        """A customer's deals, in id order (none for an unknown customer)."""
        wanted = check_id("customer_id", customer_id)
        return self._read(lambda uow: uow.opportunities.for_owner(wanted))

    def save(self, opportunity: Opportunity) -> Opportunity:
        """Store a deal's name, contact, owner, source, campaign, tags or attributes (version-checked).

        Raises:
            ValidationError: A field the sales operations own (stage, amount, close date,
                probability...) was changed; use the operation instead.
            ConflictError: Stale version.
        """
        return self._write(lambda uow: services.save_opportunity(uow, opportunity))

    def history(self, opportunity_id: OpportunityId) -> builtins.list[OpportunityChange]:
        """A deal's history, oldest first (empty for an unknown deal)."""
        wanted = check_id("opportunity_id", opportunity_id)
        return self._read(lambda uow: uow.opportunity_changes.for_opportunity(wanted))

    # -- operations ------------------------------------------------------------

    def _operate(
        self,
        opportunity_id: OpportunityId,
        at: datetime | None,
        version: int | None,
        decide: Callable[[Opportunity, Pipeline, datetime], Decision],
    ) -> Opportunity:
        wanted = check_id("opportunity_id", opportunity_id)
        moment = self._as_of(at, "at")
        expected = _version(version)
        return self._write(
            lambda uow: services.operate(uow, wanted, expected, lambda deal, p: decide(deal, p, moment))
        )

    def advance(
        self,
        opportunity_id: OpportunityId,
        stage: str,
        *,
        at: datetime | None = None,
        version: int | None = None,
        actor: str | None = None,
    ) -> Opportunity:
        """Move an open deal to another open stage (forwards or back).

        Raises:
            ValidationError: The stage is not an open, active stage of the deal's pipeline, a field
                it requires is unset, or the deal is closed.
        """
        who = _actor(actor)
        return self._operate(
            opportunity_id, at, version, lambda d, p, t: decisions.advance(d, p, stage, at=t, actor=who)
        )

    def win(
        self,
        opportunity_id: OpportunityId,
        *,
        at: datetime | None = None,
        amount: Decimal | str | int | None = None,
        currency: str | None = None,
        stage: str | None = None,
        version: int | None = None,
        actor: str | None = None,
    ) -> Opportunity:
        """Close an open deal as won, optionally with its final amount.

        The amount is in ``currency``, by default the deal's, else the
        pipeline's. The won stage is ``stage``, or the first active won stage
        after the deal's stage, or the last one before it.
        """
        who = _actor(actor)
        decide = partial(decisions.win, amount=amount, currency=currency, stage=stage, actor=who)
        return self._operate(opportunity_id, at, version, lambda d, p, t: decide(d, p, at=t))

    def lose(
        self,
        opportunity_id: OpportunityId,
        *,
        reason: str,
        at: datetime | None = None,
        note: str | None = None,
        stage: str | None = None,
        version: int | None = None,
        actor: str | None = None,
    ) -> Opportunity:
        """Close an open deal as lost, for one of its pipeline's ``lost_reasons``."""
        who = _actor(actor)
        decide = partial(decisions.lose, reason=reason, note=note, stage=stage, actor=who)
        return self._operate(opportunity_id, at, version, lambda d, p, t: decide(d, p, at=t))

    def reopen(
        self,
        opportunity_id: OpportunityId,
        stage: str,
        *,
        at: datetime | None = None,
        version: int | None = None,
        actor: str | None = None,
    ) -> Opportunity:
        """Open a won or lost deal again, in the open stage ``stage``."""
        who = _actor(actor)
        return self._operate(
            opportunity_id, at, version, lambda d, p, t: decisions.reopen(d, p, stage, at=t, actor=who)
        )

    def set_probability(
        self,
        opportunity_id: OpportunityId,
        probability: Decimal | str | None,
        *,
        at: datetime | None = None,
        version: int | None = None,
        actor: str | None = None,
    ) -> Opportunity:
        """Set an open deal's manual probability (exact, 0 to 1), or clear it with ``None``."""
        who = _actor(actor)
        return self._operate(
            opportunity_id,
            at,
            version,
            lambda d, p, t: decisions.set_probability(d, probability, at=t, actor=who),
        )

    def set_forecast_category(
        self,
        opportunity_id: OpportunityId,
        category: ForecastCategory | str | None,
        *,
        at: datetime | None = None,
        version: int | None = None,
        actor: str | None = None,
    ) -> Opportunity:
        """Set an open deal's manual forecast category, or clear it with ``None``."""
        who = _actor(actor)
        return self._operate(
            opportunity_id,
            at,
            version,
            lambda d, p, t: decisions.set_forecast_category(d, p, category, at=t, actor=who),
        )

    def change_amount(
        self,
        opportunity_id: OpportunityId,
        amount: Decimal | str | int | None,
        currency: str | None = None,
        *,
        at: datetime | None = None,
        version: int | None = None,
        actor: str | None = None,
    ) -> Opportunity:
        """Change a deal's amount (in ``currency``, by default the deal's), or clear it with ``None``."""
        who = _actor(actor)
        return self._operate(
            opportunity_id,
            at,
            version,
            lambda d, p, t: decisions.change_amount(d, amount, currency, at=t, actor=who),
        )

    def change_close_date(
        self,
        opportunity_id: OpportunityId,
        close_date: date | str | None,
        *,
        at: datetime | None = None,
        version: int | None = None,
        actor: str | None = None,
    ) -> Opportunity:
        """Change an open deal's expected close date, or clear it with ``None``."""
        who = _actor(actor)
        return self._operate(
            opportunity_id,
            at,
            version,
            lambda d, p, t: decisions.change_close_date(d, close_date, at=t, actor=who),
        )

    def move(
        self,
        opportunity_id: OpportunityId,
        pipeline_id: PipelineId,
        stages: Mapping[str, str],
        *,
        at: datetime | None = None,
        version: int | None = None,
        actor: str | None = None,
    ) -> Opportunity:
        """Move a deal to another pipeline; ``stages`` maps stage keys of its pipeline to the new one's.

        Raises:
            ValidationError: The mapping misses the deal's stage, or maps it to a stage of another
                outcome, an inactive one, or one whose required fields the deal lacks.
        """
        who = _actor(actor)
        target_id = check_id("pipeline_id", pipeline_id)
        wanted = check_id("opportunity_id", opportunity_id)
        moment = self._as_of(at, "at")
        expected = _version(version)

        def run(uow: SalesWork) -> Opportunity:
            target = uow.pipelines.get(target_id)
            return services.operate(
                uow, wanted, expected, lambda d, p: decisions.move(d, p, target, stages, at=moment, actor=who)
            )

        return self._write(run)

    # -- forecasts -------------------------------------------------------------

    def forecast(
        self,
        pipeline_id: PipelineId,
        *,
        period: Period | str = Period.MONTH,
        as_of: datetime | None = None,
        rates: ExchangeRates | None = None,
        currency: str | None = None,
    ) -> Forecast:
        """The pipeline's forecast by month or quarter of close date, per category and currency.

        With ``as_of``, the book as it stood then, rebuilt from the deals' history (stage defaults
        are today's); without, the deals as they are now. Open deals whose close date is before
        ``as_of``'s date in the pipeline's time zone are overdue. With ``rates``, every amount is
        reported in ``currency`` at the rates of that date.
        See [forecasts][relcore.sales.forecasts] for the buckets.
        """
        wanted = check_id("pipeline_id", pipeline_id)
        grouping = check.check_enum(Period, "period", period)
        moment = None if as_of is None else check.check_datetime("as_of", as_of)
        now = self._as_of(moment)

        return self._read(
            lambda uow: queries.forecast(
                uow, wanted, grouping, as_of=moment, now=now, rates=rates, currency=currency
            )
        )

    def weighted(
        self,
        pipeline_ids: Iterable[PipelineId] | None = None,
        *,
        by: Iterable[str] = ("pipeline", "stage"),
        as_of: datetime | None = None,
        rates: ExchangeRates | None = None,
        currency: str | None = None,
    ) -> builtins.list[WeightedLine]:
        """The weighted pipeline: amount times effective probability of the open deals, per group.

        Args:
            pipeline_ids: The pipelines (default: every one).
            by: Any of ``pipeline``, ``stage`` and ``owner``.
            as_of: The book as it stood then, rebuilt from history (default: as it is now).
            rates: Exchange rates, to report every amount in ``currency`` (rates of ``as_of``'s UTC date).
            currency: The reporting currency, with ``rates``.
        """
        groups = check.check_tuple(lambda path, item: check.check_text(path, item, max_len=20), "by", by)
        moment = None if as_of is None else check.check_datetime("as_of", as_of)
        chosen = None if pipeline_ids is None else check.check_tuple(check_id, "pipeline_ids", pipeline_ids)
        on = self._as_of(moment).date()

        return self._read(
            lambda uow: queries.weighted(
                uow, chosen, groups, as_of=moment, on=on, rates=rates, currency=currency
            )
        )

    # -- funnel analytics ------------------------------------------------------

    def book_as_of(
        self, as_of: datetime, *, pipeline_id: PipelineId | None = None
    ) -> dict[OpportunityId, OpportunityChange]:
        """Every deal as it stood at ``as_of``: its last history entry dated at or before it.

        Read from the history and computed in Python
        ([book_as_of][relcore.sales.funnel.book_as_of]). With ``pipeline_id``, only the deals in
        that pipeline then. Deals in id order; those opened later are absent.
        """
        moment = check.check_datetime("as_of", as_of)
        wanted = None if pipeline_id is None else check_id("pipeline_id", pipeline_id)

        return self._read(lambda uow: queries.book_as_of(uow, moment, wanted))

    def changes_between(
        self, start: datetime, end: datetime, *, pipeline_id: PipelineId | None = None
    ) -> Waterfall:
        """What happened to the open pipeline between two moments: the waterfall that reconciles.

        Read from the history and computed in Python (see
        [waterfall][relcore.sales.waterfall.waterfall] for the buckets). With ``pipeline_id``, the
        deals in that pipeline at ``start`` or at ``end``; else every deal.
        """
        first, last = check_window(start, end)
        wanted = None if pipeline_id is None else check_id("pipeline_id", pipeline_id)

        return self._read(lambda uow: queries.changes_between(uow, first, last, wanted))

    def conversion(
        self, pipeline_id: PipelineId, *, as_of: datetime | None = None
    ) -> tuple[StageConversion, ...]:
        """Stage-to-stage conversion of the pipeline's deals, from their history up to ``as_of`` (now).

        The deals are counted per furthest stage reached by the store (one ``GROUP BY`` on SQL
        backends); see [stage_conversion][relcore.sales.funnel.stage_conversion] for the definition.

        Example:
            >>> from datetime import UTC, datetime
            >>> from relcore import CRM, Customer
            >>> from relcore.sales import Opportunity, Pipeline
            >>> crm = CRM.in_memory()
            >>> acme = crm.customers.add(Customer.organization("Acme"))
            >>> direct = crm.sales.add_pipeline(Pipeline.of(
            ...     "Direct", [("qualify", "Qualify", "0.1"), ("propose", "Propose", "0.4")], currency="EUR"))
            >>> def jan(day): return datetime(2026, 1, day, tzinfo=UTC)
            >>> a, b, c = (crm.sales.open(Opportunity(
            ...     customer_id=acme.id, pipeline_id=direct.id, stage="qualify", name=n, created_at=jan(5)))
            ...     for n in "abc")
            >>> _ = crm.sales.advance(a.id, "propose", at=jan(8))
            >>> _ = crm.sales.win(a.id, at=jan(20))
            >>> _ = crm.sales.lose(b.id, reason="price", at=jan(21))
            >>> print(*(f"{s.stage}:{s.rate}" for s in crm.sales.conversion(direct.id, as_of=jan(31))))
            qualify:1/3 propose:1/1
            >>> str(crm.sales.win_rate(jan(1), jan(31)))
            '1/2'
        """
        wanted = check_id("pipeline_id", pipeline_id)
        moment = self._as_of(as_of)

        return self._read(lambda uow: queries.conversion(uow, wanted, moment))

    def stage_durations(
        self, pipeline_id: PipelineId, *, as_of: datetime | None = None
    ) -> tuple[StageDuration, ...]:
        """Time the pipeline's deals spent in each open stage, up to ``as_of`` (default now).

        Read from the history of the pipeline's deals and computed in Python (median and
        percentiles need every interval); see [stage_durations][relcore.sales.funnel.stage_durations].
        """
        wanted = check_id("pipeline_id", pipeline_id)
        moment = self._as_of(as_of)

        return self._read(lambda uow: queries.stage_durations(uow, wanted, moment))

    def win_rate(self, start: datetime, end: datetime, *, pipeline_id: PipelineId | None = None) -> Ratio:
        """Won / (won + lost) among the deals closed in ``[start, end)`` (of the pipeline at ``end``).

        The closed deals are counted by the store (one ``GROUP BY`` on SQL backends); see
        [win_rate][relcore.sales.performance.win_rate] for the definition.
        """
        first, last = check_window(start, end)
        wanted = None if pipeline_id is None else check_id("pipeline_id", pipeline_id)

        return self._read(lambda uow: queries.win_rate(uow, first, last, wanted))

    def losses(
        self, start: datetime, end: datetime, *, pipeline_id: PipelineId | None = None
    ) -> dict[str | None, Tally]:
        """The deals lost in ``[start, end)`` per lost reason, the most frequent first.

        Counted and summed per currency by the store (one ``GROUP BY`` on SQL backends); see
        [losses_by_reason][relcore.sales.performance.losses_by_reason] for the definition.
        """
        first, last = check_window(start, end)
        wanted = None if pipeline_id is None else check_id("pipeline_id", pipeline_id)

        return self._read(lambda uow: queries.losses(uow, first, last, wanted))

    def velocity(
        self,
        pipeline_id: PipelineId | None,
        start: datetime,
        end: datetime,
        *,
        as_of: datetime | None = None,
    ) -> SalesVelocity:
        """Sales velocity per currency: open deals as of ``as_of`` (default ``end``), the rest in the window.

        Read from the history of the pipeline's deals (every deal's with ``None``) and computed in
        Python; see [sales_velocity][relcore.sales.performance.sales_velocity] for the formula.
        """
        wanted = None if pipeline_id is None else check_id("pipeline_id", pipeline_id)
        first, last = check_window(start, end)
        moment = last if as_of is None else check.check_datetime("as_of", as_of)

        return self._read(lambda uow: queries.velocity(uow, wanted, first, last, moment))

    def rotting(
        self, *, as_of: datetime | None = None, pipeline_id: PipelineId | None = None
    ) -> tuple[RottingDeal, ...]:
        """The open deals nobody touched for longer than their stage's ``rotting_days``.

        The deals as they are, idle from their last change to ``as_of`` (default now), computed in
        Python; see [rotting][relcore.sales.rotting.rotting].
        """
        moment = self._as_of(as_of)
        wanted = None if pipeline_id is None else check_id("pipeline_id", pipeline_id)

        return self._read(lambda uow: queries.rotting(uow, moment, wanted))

    def overdue(self, pipeline_id: PipelineId, *, as_of: datetime | None = None) -> tuple[OverdueDeal, ...]:
        """The pipeline's open deals whose close date has passed in its time zone, with their pushes.

        The deals as they stood at ``as_of`` (default now), from their history, computed in
        Python; each says how many times its close date was pushed later. See
        [overdue][relcore.sales.rotting.overdue].
        """
        wanted = check_id("pipeline_id", pipeline_id)
        moment = self._as_of(as_of)

        return self._read(lambda uow: queries.overdue(uow, wanted, moment))

    # -- probabilities ---------------------------------------------------------

    def probability(self, opportunity_id: OpportunityId) -> Decimal:
        """The deal's effective probability: 1 won, 0 lost, else manual, else model, else its stage's."""
        wanted = check_id("opportunity_id", opportunity_id)

        return self._read(lambda uow: win_refresh.probability(uow, wanted))

    # -- win probability -------------------------------------------------------

    def refresh_win_probability(
        self,
        pipeline_id: PipelineId | None = None,
        *,
        as_of: datetime | None = None,
        fields: Iterable[str] = ("source",),
        tag_fields: Iterable[str] = ("tags",),
        smoothing: float = 0.1,
        min_tag_support: int = 50,
        progress: Progress | None = None,
    ) -> builtins.list[WinRun]:
        """Fit pipelines' win-probability models on their closed deals; store them, score the open deals.

        Without ``pipeline_id``, every pipeline whose ``win_probability`` is on; with one,
        that pipeline whether it is on or not (its scores are then stored, but used only once
        it is switched on). Each pipeline's stored run and scores are replaced, in one unit
        of work. See [win_refresh][relcore.sales.win_refresh] for what is read.

        Args:
            pipeline_id: The one pipeline to refresh.
            as_of: Learn from the deals closed by then (default: now); the deals open now are scored.
            fields: The fields learned: ``source``, ``owner``, ``campaign_id``, ``currency``,
                ``tags``, ``attributes.<key>``, or the customer's ``customer.country``,
                ``customer.type``, ``customer.stage``, ``customer.tags``, ``customer.roles``,
                ``customer.attributes.<key>``.
            tag_fields: Fields whose values count only when held by ``min_tag_support`` closed deals.
            smoothing: Added to every count (finite, > 0).
            min_tag_support: See ``tag_fields``.
            progress: Called as ``progress(stage, done, total)`` while it runs.

        Returns:
            The stored runs, one per pipeline, in id order.

        Raises:
            ValidationError: A bad argument (named); the store is then unchanged.
            NotFoundError: No pipeline ``pipeline_id``.
        """
        wanted = None if pipeline_id is None else check_id("pipeline_id", pipeline_id)
        moment = self._as_of(as_of)
        settings = win_refresh.check_settings(fields, tag_fields, smoothing, min_tag_support)
        report = check_callable("progress", progress, arguments=3, optional=True)
        now = self._clock()

        def run(uow: SalesWork) -> builtins.list[WinRun]:
            chosen = win_refresh.pipelines_to_refresh(uow, wanted)
            return win_refresh.refresh_pipeline(uow, chosen, moment, settings, now=now, progress=report)

        return self._write(run)

    def win_run(self, pipeline_id: PipelineId) -> WinRun | None:
        """The pipeline's stored win-probability run (its model, counts and settings), if it was refreshed."""
        wanted = check_id("pipeline_id", pipeline_id)
        return self._read(lambda uow: uow.win_models.run(wanted))

    def explain_probability(self, opportunity_id: OpportunityId) -> ProbabilityExplanation:
        """The deal's effective probability and where it comes from: won, lost, manual, model or stage.

        For ``model``, the deal scored by its pipeline's stored model, with the factor of each value.

        Raises:
            NotFoundError: No such deal.
        """
        wanted = check_id("opportunity_id", opportunity_id)
        return self._read(lambda uow: win_refresh.explain(uow, wanted))

    def win_calibration(
        self,
        pipeline_id: PipelineId,
        *,
        train_until: datetime,
        evaluate_until: datetime | None = None,
        fields: Iterable[str] = ("source",),
        tag_fields: Iterable[str] = ("tags",),
        smoothing: float = 0.1,
        min_tag_support: int = 50,
        bins: int = 10,
    ) -> Calibration:
        """How well the model predicts held-out deals: Brier score and reliability table.

        Fits on the pipeline's deals closed by ``train_until``, then scores those closed after
        it and by ``evaluate_until`` (default: now), each at the last open stage it was in
        before it closed, and compares with what happened. Stores nothing.

        Raises:
            ValidationError: A bad argument, ``evaluate_until`` not after ``train_until``,
                no won or no lost deal to learn from (``train_until``), or none held out
                (``evaluate_until``).
        """
        wanted = check_id("pipeline_id", pipeline_id)
        train = check.check_datetime("train_until", train_until)
        until = self._as_of(evaluate_until, "evaluate_until")
        if until <= train:
            raise check.fail("evaluate_until", "must be after train_until")
        settings = win_refresh.check_settings(fields, tag_fields, smoothing, min_tag_support)
        if type(bins) is not int or not 1 <= bins <= 1000:
            raise check.fail("bins", "expected an int from 1 to 1000")

        def read(uow: SalesWork) -> Calibration:
            pipeline = uow.pipelines.get(wanted)
            return win_refresh.calibrate(
                uow, pipeline, settings, train_until=train, evaluate_until=until, bins=bins
            )

        return self._read(read)
