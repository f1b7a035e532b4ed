"""Feedback use cases: record and import responses idempotently, compute the figures; against the ports."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from relcore._kernel import checks as check
from relcore._kernel.arguments import check_instance
from relcore.feedback.metrics import (
    CesResult,
    CsatResult,
    Group,
    NpsResult,
    Tally,
    ces_result,
    csat_result,
    nps_result,
)
from relcore.feedback.model import (
    FeedbackImported,
    FeedbackRecorded,
    FeedbackResponse,
    ImportReport,
    Scale,
)
from relcore.feedback.ports import FeedbackWork, TallyQuery
from relcore.storage.base import DEFAULT_CHUNK_SIZE

__all__ = ["ces", "csat", "import_responses", "nps", "record", "tallies"]


def record(uow: FeedbackWork, response: FeedbackResponse) -> FeedbackResponse:
    """Record one response; return it as stored.

    A response whose ``(source, external_id)`` is stored changes nothing: the
    stored one is returned and no event is recorded. A new one becomes the
    customer's latest of its kind if it is the newest, and raises
    [FeedbackRecorded][relcore.feedback.FeedbackRecorded] after commit.
    """
    check_instance("response", response, FeedbackResponse)
    repository = uow.feedback_responses
    if not repository.add(response):
        stored = repository.find(response.source, response.external_id)
        assert stored is not None  # an add is refused only for a stored key
        return stored
    repository.refresh_latest([response.customer_id])
    uow.record(
        FeedbackRecorded(
            response.id,
            response.customer_id,
            response.kind,
            response.score,
            response.nps_class,
            response.case_id,
            response.answered_at,
        )
    )
    return repository.get(response.id)


def import_responses(
    uow: FeedbackWork, responses: Iterable[FeedbackResponse], *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> ImportReport:
    """Bulk-ingest responses idempotently, chunk by chunk; report how many were new and skipped.

    Each chunk is checked whole before any of it is stored; the customers of
    a chunk that stored something have their ``latest`` flags brought up to date.
    """
    size = check.positive_int("chunk_size", chunk_size, minimum=1)
    repository = uow.feedback_responses
    stream = iter(responses)
    new = skipped = 0
    while chunk := list(itertools.islice(stream, size)):
        added = repository.add_many(chunk, chunk_size=size)
        if added:
            repository.refresh_latest({r.customer_id for r in chunk})
        new += added
        skipped += len(chunk) - added
    if new:
        uow.record(FeedbackImported(new))
    return ImportReport(new, skipped)


def _order(group: Group) -> tuple[Any, ...]:
    values = (
        group.period,
        group.channel,
        group.survey,
        group.case_id,
        group.campaign_id,
        group.team,
        group.assignee,
    )
    return tuple((value is not None, value) for value in values)


def tallies(uow: FeedbackWork, query: TallyQuery) -> list[tuple[Group, Scale | None, Tally]]:
    """The counts of each group ``query`` makes, in group order (period, channel, survey, case, and on).

    Without any grouping there is one group, counted even when empty.

    Raises:
        ValidationError: The responses of one group are on several scales (``scale``).
    """
    merged: dict[Group, dict[tuple[int, int], Tally]] = {}
    for row in uow.feedback_tallies.tally(query):
        scales = merged.setdefault(row.group, {})
        key = (row.scale_min, row.scale_max)
        scales[key] = scales.get(key, Tally()) + row.tally
    if not merged and not query.by and query.period is None:
        return [(Group(), Scale.default(query.kind), Tally())]
    found: list[tuple[Group, Scale | None, Tally]] = []
    for group in sorted(merged, key=_order):
        scales = merged[group]
        if len(scales) > 1:
            raise check.fail("scale", "the responses of one figure are on several scales; count them apart")
        ((low, high), tally), *_ = scales.items()
        found.append((group, Scale(low, high), tally))
    return found


def nps(uow: FeedbackWork, query: TallyQuery, *, confidence: float, min_n: int) -> list[NpsResult]:
    """The NPS of each group of ``query`` (an NPS query)."""
    return [
        nps_result(tally, group=group, confidence=confidence, min_n=min_n)
        for group, _, tally in tallies(uow, query)
    ]


def csat(uow: FeedbackWork, query: TallyQuery, *, confidence: float, min_n: int) -> list[CsatResult]:
    """The CSAT (top-two-box share) of each group of ``query``."""
    return [
        csat_result(tally, scale, group=group, confidence=confidence, min_n=min_n)
        for group, scale, tally in tallies(uow, query)
    ]


def ces(uow: FeedbackWork, query: TallyQuery, *, min_n: int) -> list[CesResult]:
    """The CES (mean, spread and share of easy answers) of each group of ``query``."""
    return [ces_result(tally, scale, group=group, min_n=min_n) for group, scale, tally in tallies(uow, query)]
