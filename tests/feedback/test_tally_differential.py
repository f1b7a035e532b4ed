"""The tallies behind the figures: memory = SQLite = PostgreSQL = MariaDB, for drawn answers and queries.

Answers fall on and around month ends, week ends and daylight-saving changes
of several zones (Paris, New York, Lord Howe's half-hour change, Kathmandu's
+05:45, Monrovia's old -00:44:30), to the microsecond; queries group by any
fields and period in any of those zones, with windows, channels, surveys and
customers. Each backend must count exactly what the reference counts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcore.feedback import FeedbackKind, FeedbackResponse
from relcore.feedback._testing import merged, reference_tally
from relcore.feedback.periods import PERIODS
from relcore.feedback.ports import GROUPS, TallyQuery
from relcore.registry import UnitOfWork
from relcore.testing._contract_support import StoreFactory, customer, in_unit

ZONES = [
    UTC,
    *(ZoneInfo(z) for z in ("Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu")),
]
EDGES = [
    datetime(2024, 1, 31, 23, tzinfo=UTC),
    datetime(2024, 3, 10, 7, tzinfo=UTC),  # New York springs forward
    datetime(2024, 3, 31, 1, tzinfo=UTC),  # Paris springs forward
    datetime(2024, 3, 31, 22, tzinfo=UTC),
    datetime(2024, 4, 6, 15, tzinfo=UTC),  # Lord Howe falls back half an hour
    datetime(2024, 6, 30, 18, 15, tzinfo=UTC),  # midnight in Kathmandu
    datetime(2024, 10, 27, 1, tzinfo=UTC),  # Paris falls back
    datetime(2024, 12, 31, 23, tzinfo=UTC),
    datetime(1971, 12, 31, 23, 15, 30, tzinfo=UTC),  # Monrovia's odd offset, long ago
]
NUDGES = [
    timedelta(0),
    timedelta(microseconds=-1),
    timedelta(minutes=-30),
    timedelta(minutes=45),
    timedelta(hours=5),
]
CASES = [None, *(customer(f"case {i}").id for i in range(2))]
PEOPLE = [customer(f"P{i}") for i in range(3)]
MOMENTS = st.builds(lambda edge, nudge: edge + nudge, st.sampled_from(EDGES), st.sampled_from(NUDGES))


@st.composite
def answers(draw: st.DrawFn) -> FeedbackResponse:
    kind = draw(st.sampled_from([FeedbackKind.NPS, FeedbackKind.CSAT, FeedbackKind.CES]))
    low, high = {FeedbackKind.NPS: (0, 10), FeedbackKind.CSAT: (1, 5), FeedbackKind.CES: (1, 7)}[kind]
    if kind is FeedbackKind.CSAT and draw(st.integers(0, 9)) == 0:
        low, high = 0, 10  # now and then a second scale
    return FeedbackResponse(
        customer_id=draw(st.sampled_from(PEOPLE)).id,
        kind=kind,
        score=draw(st.integers(low, high)),
        scale_min=low,
        scale_max=high,
        answered_at=draw(MOMENTS),
        channel=draw(st.sampled_from(["email", "sms", "web"])),
        survey=draw(st.sampled_from([None, "q1", "post-case"])),
        case_id=draw(st.sampled_from(CASES)),
        source="diff",
    )


@st.composite
def queries(draw: st.DrawFn) -> TallyQuery:
    start = draw(st.none() | MOMENTS)
    end = draw(st.none() | MOMENTS)
    if start is not None and end is not None and end < start:
        start, end = end, start
    return TallyQuery(
        kind=draw(st.sampled_from([FeedbackKind.NPS, FeedbackKind.CSAT, FeedbackKind.CES])),
        start=start,
        end=end,
        by=tuple(g for g in GROUPS if draw(st.booleans())),
        period=draw(st.none() | st.sampled_from(PERIODS)),
        zone=draw(st.sampled_from(ZONES)),
        channels=draw(st.none() | st.frozensets(st.sampled_from(["email", "sms", "fax"]))),
        surveys=draw(st.none() | st.frozensets(st.sampled_from(["q1", "q2"]))),
        customer_ids=draw(st.none() | st.frozensets(st.sampled_from([p.id for p in PEOPLE]), min_size=1)),
    )


def test_every_backend_counts_what_the_reference_counts(store_factory: StoreFactory) -> None:
    store = store_factory()
    in_unit(store, lambda uow: uow.customers.add_many(PEOPLE))
    slow = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]

    @settings(max_examples=40, deadline=None, suppress_health_check=slow)
    @given(stored=st.lists(answers(), max_size=25), asked=st.lists(queries(), min_size=1, max_size=5))
    def check(stored: list[FeedbackResponse], asked: list[TallyQuery]) -> None:
        def write(uow: UnitOfWork) -> None:
            uow.feedback_responses.add_many(stored)

        with store.unit_of_work() as uow:
            write(uow)  # not committed: every example starts from the same empty table
            for query in asked:
                assert merged(uow.feedback_tallies.tally(query)) == reference_tally(stored, query), query

    check()
