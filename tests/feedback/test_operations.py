"""Feedback through ``crm.feedback`` on every backend: idempotent ingest, the latest flag, events, figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from relcore import CRM, Customer, NotFoundError, ValidationError
from relcore.feedback import FeedbackImported, FeedbackRecorded, FeedbackResponse, Group
from relcore.registry import Store
from relcore.testing._contract_support import snapshot
from relcore.testing.contracts import FixedClock
from relcore.testing.events import capture_events

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


@pytest.fixture
def crm(store: Store) -> CRM:
    return CRM(store, clock=FixedClock(day(400)))


@pytest.fixture
def ada(crm: CRM) -> Customer:
    return crm.customers.add(Customer.person("Ada", created_at=T0))


def answer(who: Customer, **fields: Any) -> FeedbackResponse:
    fields.setdefault("kind", "nps")
    fields.setdefault("score", 9)
    fields.setdefault("channel", "email")
    fields.setdefault("answered_at", T0)
    fields.setdefault("source", "survey")
    fields.setdefault("created_at", T0)
    return FeedbackResponse(customer_id=who.id, **fields)


def test_re_sending_a_response_returns_the_stored_one_and_changes_nothing(
    crm: CRM, ada: Customer, store: Store
) -> None:
    first = answer(ada, external_id="r-1", comment="Great service")
    with capture_events(crm, FeedbackRecorded) as seen:
        stored = crm.feedback.record(first)
        assert stored == attrs.evolve(first, latest=True)
        before = snapshot(store)
        again = crm.feedback.record(answer(ada, external_id="r-1", score=0, answered_at=day(3)))
    assert again == stored
    assert snapshot(store) == before
    assert [(e.response_id, e.kind, e.score, e.nps_class) for e in seen] == [(first.id, "nps", 9, "promoter")]
    assert "comment" not in attrs.fields_dict(FeedbackRecorded)
    assert crm.feedback.find("survey", "r-1") == stored
    assert crm.feedback.get(first.id) == stored
    with pytest.raises(NotFoundError):
        crm.feedback.get(answer(ada).id)


def test_the_latest_answer_of_each_kind_is_marked_on_record_and_import(crm: CRM, ada: Customer) -> None:
    old = crm.feedback.record(answer(ada, answered_at=day(1)))
    new = crm.feedback.record(answer(ada, answered_at=day(5), score=3))
    csat = crm.feedback.record(answer(ada, kind="csat", score=2, answered_at=day(2)))
    late_arrival = crm.feedback.record(answer(ada, answered_at=day(3)))  # older than the latest
    assert (late_arrival.latest, crm.feedback.get(old.id).latest) == (False, False)
    assert crm.feedback.latest(ada.id, "nps") == crm.feedback.get(new.id)
    assert crm.feedback.get(new.id).latest
    assert crm.feedback.get(csat.id).latest
    with capture_events(crm) as seen:
        report = crm.feedback.import_responses(
            [
                answer(ada, answered_at=day(9), external_id="a"),
                answer(ada, external_id="a"),
                answer(ada, external_id="b"),
            ],
            chunk_size=2,
        )
    assert (report.new, report.skipped) == (2, 1)
    assert [type(e) for e in seen] == [FeedbackImported]
    assert seen[0].new == 2
    flags = {r.answered_at: r.latest for r in crm.feedback.for_customer(ada.id, kind="nps")}
    assert [at for at, latest in flags.items() if latest] == [day(9)]
    again = crm.feedback.import_responses([answer(ada, external_id="a"), answer(ada, external_id="b")])
    assert (again.new, again.skipped) == (0, 2)
    assert [r.answered_at for r in crm.feedback.for_customer(ada.id)] == [
        day(9),
        day(5),
        day(3),
        day(2),
        day(1),
        T0,
    ]
    assert crm.feedback.list(limit=3).next_after is not None


def test_bad_input_is_refused_naming_the_field_before_storage(crm: CRM, ada: Customer, store: Store) -> None:
    def path(make: Any) -> str:
        with pytest.raises(ValidationError) as caught:
            make()
        return caught.value.errors[0].path

    assert path(lambda: answer(ada, score=11)) == "score"
    assert path(lambda: answer(ada, score=True)) == "score"
    assert path(lambda: answer(ada, kind="csat", score=0)) == "score"
    assert path(lambda: answer(ada, kind="custom", score=3)) == "scale_min"
    assert path(lambda: answer(ada, scale_min=1, scale_max=10)) == "scale_min"
    assert path(lambda: answer(ada, kind="csat", score=3, scale_min=5, scale_max=1)) == "scale_max"
    assert path(lambda: answer(ada, kind="stars")) == "kind"
    assert path(lambda: answer(ada, answered_at=datetime(2026, 1, 1))) == "answered_at"
    assert path(lambda: answer(ada, nps_class="passive")) == "nps_class"
    assert path(lambda: answer(ada, positive=False)) == "positive"
    before = snapshot(store)
    assert path(lambda: crm.feedback.record(answer(ada, channel="pigeon"))) == "response.channel"
    assert path(lambda: crm.feedback.record("9")) == "response"  # type: ignore[arg-type]
    batch = [answer(ada, external_id="x"), answer(ada, channel="pigeon")]
    assert path(lambda: crm.feedback.import_responses(batch)) == "responses[1].channel"
    assert snapshot(store) == before
    assert path(lambda: crm.feedback.nps(by="score")) == "by"
    assert path(lambda: crm.feedback.nps(by=["channel", "channel"])) == "by"
    assert path(lambda: crm.feedback.nps(period="fortnight")) == "period"
    assert path(lambda: crm.feedback.nps(period="month", zone="Mars/Olympus")) == "zone"
    assert path(lambda: crm.feedback.nps(confidence=1)) == "confidence"
    assert path(lambda: crm.feedback.nps(min_n=0)) == "min_n"
    assert path(lambda: crm.feedback.nps(start=datetime(2026, 1, 1))) == "start"
    assert path(lambda: crm.feedback.nps(start=day(2), end=day(1))) == "end"
    assert path(lambda: crm.feedback.nps(channels="email")) == "channels"
    assert path(lambda: crm.feedback.nps(customers=["x"])) == "customers[0]"
    assert path(lambda: crm.feedback.csat(kind="nps")) == "kind"
    assert path(lambda: crm.feedback.ces(kind="csat")) == "kind"
    assert path(lambda: crm.feedback.find("survey", 7)) == "external_id"  # type: ignore[arg-type]


def test_figures_by_month_in_a_time_zone_and_by_channel(crm: CRM, ada: Customer) -> None:
    bob = crm.customers.add(Customer.person("Bob", created_at=T0))
    jan_31_late = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)  # 1 February in Paris
    answers = [
        answer(ada, score=10, answered_at=datetime(2026, 1, 10, tzinfo=UTC)),
        answer(bob, score=3, answered_at=jan_31_late, channel="sms"),
        answer(ada, score=9, answered_at=datetime(2026, 2, 12, tzinfo=UTC)),
        answer(bob, score=8, answered_at=datetime(2026, 2, 20, tzinfo=UTC), channel="sms"),
        answer(ada, kind="csat", score=5, channel="web"),
        answer(ada, kind="csat", score=2, channel="web"),
        answer(bob, kind="csat", score=4, channel="sms"),
        answer(ada, kind="ces", score=6),
        answer(bob, kind="ces", score=3),
    ]
    crm.feedback.import_responses(answers)
    months = crm.feedback.nps(period="month", zone="Europe/Paris", min_n=2)
    assert [
        (m.group.period.isoformat() if m.group.period else None, m.n, m.nps, m.reliable) for m in months
    ] == [
        ("2026-01-01", 1, 100.0, False),
        ("2026-02-01", 3, 0.0, True),
    ]
    in_utc = crm.feedback.nps(period="month", min_n=2)
    assert [m.n for m in in_utc] == [2, 2]
    by_channel = crm.feedback.csat(by="channel", min_n=1)
    assert [(r.group, r.n, r.positive, r.share) for r in by_channel] == [
        (Group(channel="sms"), 1, 1, 1.0),
        (Group(channel="web"), 2, 1, 0.5),
    ]
    [effort] = crm.feedback.ces()
    assert (effort.n, effort.mean, effort.positive, effort.share) == (2, 4.5, 1, 0.5)
    [only_bob] = crm.feedback.nps(customers=[bob.id], start=datetime(2026, 2, 1, tzinfo=UTC))
    assert (only_bob.n, only_bob.detractors, only_bob.passives) == (1, 0, 1)
    [sms] = crm.feedback.nps(channels=["sms"], by=["channel"])
    assert (sms.group.channel, sms.n) == ("sms", 2)


def test_an_empty_group_gives_no_score_and_mixed_scales_are_refused(crm: CRM, ada: Customer) -> None:
    [nothing] = crm.feedback.nps()
    assert (nothing.n, nothing.nps, nothing.se, nothing.reliable) == (0, None, None, False)
    assert crm.feedback.nps(by="channel") == []
    assert crm.feedback.csat(period="week") == []
    [custom] = crm.feedback.csat(kind="custom")
    assert (custom.n, custom.share, custom.scale) == (0, None, None)
    crm.feedback.record(answer(ada, kind="csat", score=4, survey="post-case"))
    crm.feedback.record(answer(ada, kind="csat", score=9, scale_min=0, scale_max=10, survey="q3"))
    with pytest.raises(ValidationError) as caught:
        crm.feedback.csat()
    assert caught.value.errors[0].path == "scale"
    per_survey = crm.feedback.csat(by="survey")
    assert [(r.group.survey, r.scale and (r.scale.low, r.scale.high), r.share) for r in per_survey] == [
        ("post-case", (1, 5), 1.0),
        ("q3", (0, 10), 1.0),
    ]
    case = crm.feedback.record(answer(ada, kind="csat", score=1, case_id=ada.id, survey="post-case"))
    by_case = crm.feedback.csat(by="case_id", surveys=["post-case"])
    assert [(r.group.case_id, r.n) for r in by_case] == [(None, 1), (case.case_id, 1)]


def test_csat_per_agent_and_team_reads_the_case_answered_about(crm: CRM, ada: Customer) -> None:
    from relcore.service import Case

    def solved_case(assignee: str, team: str) -> Case:
        case = crm.service.open(Case(customer_id=ada.id, subject="s", channel="email", created_at=day(1)))
        crm.service.assign(case.id, team=team, assignee=assignee, at=day(1.5))
        return crm.service.set_status(case.id, "solved", at=day(2))

    kim, lee, sam = solved_case("kim", "tier-1"), solved_case("lee", "tier-1"), solved_case("sam", "tier-2")
    for case, scores in ((kim, [5, 4, 2]), (lee, [1]), (sam, [4, 5])):
        for score in scores:
            crm.feedback.record(answer(ada, kind="csat", score=score, case_id=case.id, survey="post-case"))
    crm.feedback.record(answer(ada, kind="csat", score=5, survey="post-case"))  # about no case
    per_agent = crm.feedback.csat(by="assignee", min_n=1)
    assert [(r.group.assignee, r.n, r.positive) for r in per_agent] == [
        (None, 1, 1),
        ("kim", 3, 2),
        ("lee", 1, 0),
        ("sam", 2, 2),
    ]
    per_team = crm.feedback.csat(by=["team"], min_n=1)
    assert [(r.group.team, r.n) for r in per_team] == [(None, 1), ("tier-1", 4), ("tier-2", 2)]
    crm.service.assign(lee.id, team="tier-2", assignee="sam", at=day(3))  # as the cases are now
    assert [(r.group.assignee, r.n) for r in crm.feedback.csat(by="assignee")] == [
        (None, 1),
        ("kim", 3),
        ("sam", 3),
    ]
