"""The feedback namespace of the facade: ``crm.feedback``."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from relcore._kernel import checks as check
from relcore._kernel.arguments import (
    check_id,
    check_instance,
    check_items,
    check_limit,
    check_optional_datetime,
)
from relcore._kernel.namespace import Namespace, UnitOfWorkSource
from relcore._kernel.tokens import check_token
from relcore.clock import Clock
from relcore.customers.model import Channel
from relcore.feedback import services
from relcore.feedback.metrics import (
    DEFAULT_CONFIDENCE,
    DEFAULT_MIN_N,
    CesResult,
    CsatResult,
    NpsResult,
    check_confidence,
)
from relcore.feedback.model import FeedbackKind, FeedbackResponse, ImportReport
from relcore.feedback.periods import check_period, check_zone
from relcore.feedback.ports import GROUPS, FeedbackWork, TallyQuery
from relcore.ids import CustomerId, FeedbackResponseId
from relcore.storage.base import DEFAULT_CHUNK_SIZE, Page
from relcore.storage.rules import check_key

if TYPE_CHECKING:
    from relcore.vocabularies import Vocabularies

__all__ = ["MAX_CUSTOMERS", "Feedback"]

MAX_CUSTOMERS = 10_000
"""The most customer ids a figure may be restricted to."""


def _by(value: object) -> tuple[str, ...]:
    names = (
        (_group_name("by", value),)
        if isinstance(value, str)
        else tuple(check_items("by", value, _group_name))
    )
    if len(set(names)) != len(names):
        raise check.fail("by", "names a field twice")
    return tuple(g for g in GROUPS if g in names)


def _group_name(path: str, value: object) -> str:
    if not isinstance(value, str) or value not in GROUPS:
        raise check.fail(path, f"expected one of {', '.join(GROUPS)} (group by time with period=)")
    return value


def _texts(field: str, value: object) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        raise check.fail(field, "expected a collection, got a single string")
    return frozenset(check_items(field, value, lambda path, item: check_key(path, item, max_len=100)))


class Feedback(Namespace[FeedbackWork]):
    """Survey answers and satisfaction figures: ``crm.feedback``.

    Recording is idempotent on a response's ``(source, external_id)``; each
    response recorded one at a time raises
    [FeedbackRecorded][relcore.feedback.FeedbackRecorded] after commit (real-time
    satisfaction), and keeps its customer's latest answer of each kind marked
    for rules (``feedback(kind == "nps", latest == true, nps_class == "detractor")``).
    The figures ([nps][relcore.feedback.api.Feedback.nps],
    [csat][relcore.feedback.api.Feedback.csat], [ces][relcore.feedback.api.Feedback.ces])
    are counted by the database on SQL stores; see [relcore.feedback.metrics][]
    for their formulas.

    Example:
        >>> from datetime import UTC, datetime
        >>> from relcore import CRM, Customer
        >>> from relcore.feedback import FeedbackResponse
        >>> crm = CRM.in_memory()
        >>> ada = crm.customers.add(Customer.person("Ada"))
        >>> answer = FeedbackResponse(
        ...     customer_id=ada.id, kind="nps", score=9, channel="email",
        ...     answered_at=datetime(2026, 5, 4, 9, 30, tzinfo=UTC), source="survey-tool", external_id="r-1")
        >>> stored = crm.feedback.record(answer)
        >>> print(stored.nps_class, stored.latest, crm.feedback.record(answer) == stored)
        promoter True True
        >>> [result] = crm.feedback.nps()
        >>> result.n, result.nps, result.reliable
        (1, 100.0, False)
    """

    __slots__ = ("_vocabularies",)

    def __init__(
        self, source: UnitOfWorkSource[FeedbackWork], clock: Clock, vocabularies: Vocabularies
    ) -> None:
        super().__init__(source, clock)
        self._vocabularies = vocabularies

    def _declared(self, path: str, response: object) -> FeedbackResponse:
        found = check_instance(path, response, FeedbackResponse)
        self._vocabularies.channels.check(f"{path}.channel", found.channel)
        return found

    # -- responses -----------------------------------------------------------------

    def record(self, response: FeedbackResponse) -> FeedbackResponse:
        """Record one response; return it as stored (with its ``latest`` flag).

        Sending a response whose ``(source, external_id)`` is stored again
        changes nothing and returns the stored one.

        Raises:
            ValidationError: Not a response, or its channel is not declared (``response.channel``).
            NotFoundError: Its customer, contact or touchpoint is not stored.
        """
        checked = self._declared("response", response)
        return self._write(lambda uow: services.record(uow, checked))

    def import_responses(
        self, responses: Iterable[FeedbackResponse], *, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> ImportReport:
        """Bulk-ingest a stream of responses in one transaction; report how many were new and skipped.

        Each chunk is checked whole before any of it is written; a refused
        response (``responses[7].channel``) leaves the store unchanged. No
        [FeedbackRecorded][relcore.feedback.FeedbackRecorded] per response: one
        [FeedbackImported][relcore.feedback.FeedbackImported] per import.
        """
        size = check.positive_int("chunk_size", chunk_size, minimum=1)
        stream = check_items("responses", responses, self._declared)
        return self._write(lambda uow: services.import_responses(uow, stream, chunk_size=size))

    def get(self, response_id: FeedbackResponseId) -> FeedbackResponse:
        """The response with this id.

        Raises:
            NotFoundError: No such response.
        """
        wanted = check_id("response_id", response_id)
        return self._read(lambda uow: uow.feedback_responses.get(wanted))

    def find(self, source: str, external_id: str) -> FeedbackResponse | None:
        """The response with this idempotency key, if one is stored."""
        key = (check_key("source", source, max_len=100), check_key("external_id", external_id, max_len=200))
        return self._read(lambda uow: uow.feedback_responses.find(*key))

    def list(self, *, after: UUID | None = None, limit: int = 100) -> Page[FeedbackResponse]:
        """One page of every response, in id order; pass ``next_after`` as ``after`` for the next."""
        start = None if after is None else check_id("after", after)
        size = check_limit(limit)
        return self._read(lambda uow: uow.feedback_responses.list(after=start, limit=size))

    def for_customer(
        self, customer_id: CustomerId, *, kind: FeedbackKind | str | None = None
    ) -> builtins.list[FeedbackResponse]:
        """The customer's responses (of one kind), newest first (none for an unknown customer)."""
        wanted = check_id("customer_id", customer_id)
        which = None if kind is None else check.check_enum(FeedbackKind, "kind", kind)
        return self._read(lambda uow: uow.feedback_responses.for_customer(wanted, kind=which))

    def latest(self, customer_id: CustomerId, kind: FeedbackKind | str) -> FeedbackResponse | None:
        """The customer's latest response of ``kind``, if any."""
        found = self.for_customer(customer_id, kind=kind)
        return found[0] if found else None

    # -- figures -------------------------------------------------------------------

    def _query(self, kind: FeedbackKind, allowed: tuple[FeedbackKind, ...], **given: Any) -> TallyQuery:
        if kind not in allowed:
            raise check.fail("kind", f"expected one of {', '.join(k.value for k in allowed)}")
        customers = given["customers"]
        ids = None
        if customers is not None:
            ids = frozenset(check_items("customers", customers, check_id))
            if len(ids) > MAX_CUSTOMERS:
                raise check.fail("customers", f"at most {MAX_CUSTOMERS} customers")
        channels = given["channels"]
        if channels is not None:
            if isinstance(channels, str):
                raise check.fail("channels", "expected a collection, got a single string")
            channels = frozenset(str(check_token(Channel, p, c)) for p, c in _paths("channels", channels))
        start = check_optional_datetime("start", given["start"])
        end = check_optional_datetime("end", given["end"])
        if start is not None and end is not None and end < start:
            raise check.fail("end", "must not be before start")
        period = given["period"]
        return TallyQuery(
            kind=kind,
            start=start,
            end=end,
            by=_by(given["by"]),
            period=None if period is None else check_period("period", period),
            zone=check_zone("zone", given["zone"]),
            channels=channels,
            surveys=_texts("surveys", given["surveys"]),
            customer_ids=ids,
        )

    def nps(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        by: str | Iterable[str] = (),
        period: str | None = None,
        zone: str = "UTC",
        channels: Iterable[Channel | str] | None = None,
        surveys: Iterable[str] | None = None,
        customers: Iterable[CustomerId] | None = None,
        confidence: float = DEFAULT_CONFIDENCE,
        min_n: int = DEFAULT_MIN_N,
    ) -> builtins.list[NpsResult]:
        """The Net Promoter Score of the NPS answers, per group.

        Args:
            start: Count answers at or after this instant.
            end: Count answers strictly before this instant.
            by: Group by these fields: ``"channel"``, ``"survey"``, ``"case_id"``, ``"campaign_id"``,
                and the ``"team"`` or ``"assignee"`` of the case answered about (CSAT per agent).
            period: Group by the local ``"day"``, ``"week"`` (from Monday), ``"month"``,
                ``"quarter"`` or ``"year"`` too.
            zone: The IANA time zone whose calendar the periods follow.
            channels: Count only these channels.
            surveys: Count only these surveys (by key).
            customers: Count only these customers' answers (at most 10,000 ids).
            confidence: The intervals' confidence, strictly between 0 and 1.
            min_n: Results over fewer answers are flagged ``reliable=False``.

        Returns:
            Without ``by`` and ``period``, one result (``nps`` is ``None`` when
            there are no answers); else one per group holding answers, in order of
            period, channel, survey, case and campaign (``None`` first).
        """
        query = self._query(
            FeedbackKind.NPS, (FeedbackKind.NPS,), start=start, end=end, by=by, period=period, zone=zone,
            channels=channels, surveys=surveys, customers=customers,
        )  # fmt: skip
        level, least = check_confidence(confidence), _min_n(min_n)
        return self._read(lambda uow: services.nps(uow, query, confidence=level, min_n=least))

    def csat(
        self,
        *,
        kind: FeedbackKind | str = FeedbackKind.CSAT,
        start: datetime | None = None,
        end: datetime | None = None,
        by: str | Iterable[str] = (),
        period: str | None = None,
        zone: str = "UTC",
        channels: Iterable[Channel | str] | None = None,
        surveys: Iterable[str] | None = None,
        customers: Iterable[CustomerId] | None = None,
        confidence: float = DEFAULT_CONFIDENCE,
        min_n: int = DEFAULT_MIN_N,
    ) -> builtins.list[CsatResult]:
        """The CSAT (share of top-two-box answers, with its Wilson interval) of the CSAT answers, per group.

        ``kind="custom"`` computes the same over custom answers. The other
        arguments and the results are as for [nps][relcore.feedback.api.Feedback.nps].

        Raises:
            ValidationError: The answers of one group are on several scales (``scale``).
        """
        which = check.check_enum(FeedbackKind, "kind", kind)
        query = self._query(
            which, (FeedbackKind.CSAT, FeedbackKind.CUSTOM), start=start, end=end, by=by, period=period,
            zone=zone, channels=channels, surveys=surveys, customers=customers,
        )  # fmt: skip
        level, least = check_confidence(confidence), _min_n(min_n)
        return self._read(lambda uow: services.csat(uow, query, confidence=level, min_n=least))

    def ces(
        self,
        *,
        kind: FeedbackKind | str = FeedbackKind.CES,
        start: datetime | None = None,
        end: datetime | None = None,
        by: str | Iterable[str] = (),
        period: str | None = None,
        zone: str = "UTC",
        channels: Iterable[Channel | str] | None = None,
        surveys: Iterable[str] | None = None,
        customers: Iterable[CustomerId] | None = None,
        min_n: int = DEFAULT_MIN_N,
    ) -> builtins.list[CesResult]:
        """The customer effort score (mean, sample deviation, share of answers of 5 or more on 1-7) per group.

        The share counts the answers marked positive: on another CES scale, those
        of ``low + ⌈2/3 (high - low)⌉`` or more
        ([Scale.positive_from][relcore.feedback.model.Scale.positive_from]); with
        ``kind="custom"``, the top two boxes. The other arguments and the results
        are as for [nps][relcore.feedback.api.Feedback.nps].

        Raises:
            ValidationError: The answers of one group are on several scales (``scale``).
        """
        which = check.check_enum(FeedbackKind, "kind", kind)
        query = self._query(
            which, (FeedbackKind.CES, FeedbackKind.CUSTOM), start=start, end=end, by=by, period=period,
            zone=zone, channels=channels, surveys=surveys, customers=customers,
        )  # fmt: skip
        least = _min_n(min_n)
        return self._read(lambda uow: services.ces(uow, query, min_n=least))


def _min_n(value: object) -> int:
    return check.positive_int("min_n", value, minimum=1)


def _paths(field: str, values: object) -> builtins.list[tuple[str, object]]:
    return builtins.list(check_items(field, values, lambda path, item: (path, item)))
