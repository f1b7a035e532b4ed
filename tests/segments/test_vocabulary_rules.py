"""Rules on roles and declared vocabulary values: each backend's ``members`` equals ``evaluate`` in memory."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relcore import CRM, Vocabularies
from relcore.domain import ConsentRecord, Customer, Touchpoint
from relcore.errors import InvalidRuleError
from relcore.registry import Store
from relcore.segments import (
    DEFAULT_CATALOGUE,
    And,
    CustomerView,
    Not,
    Or,
    Rule,
    evaluate,
    field,
    parse,
    touchpoints,
    validate,
)

AS_OF = datetime(2024, 3, 1, 12, tzinfo=UTC)
VOCABULARIES = Vocabularies(
    channels=["whatsapp", "zalo"],
    purposes=["newsletter"],
    touchpoint_kinds=["voice_note"],
    stages=["onboarding"],
    roles=["franchisee", "landlord"],
)
CATALOGUE = DEFAULT_CATALOGUE.with_vocabularies(VOCABULARIES)
ROLES = ["customer", "partner", "supplier", "franchisee", "landlord"]
STAGES = ["lead", "customer", "onboarding"]
CHANNELS = ["email", "whatsapp", "zalo"]
KINDS = ["message", "voice_note"]
PURPOSES = ["marketing", "newsletter"]


@attrs.frozen
class World:
    customers: list[Customer]
    touchpoints: list[Touchpoint]
    consents: list[ConsentRecord]


@st.composite
def worlds(draw: st.DrawFn) -> World:
    people = [
        Customer.person(
            f"C{i}",
            stage=draw(st.sampled_from(STAGES)),
            roles=draw(st.frozensets(st.sampled_from(ROLES), min_size=1, max_size=3)),
            created_at=AS_OF - timedelta(days=400),
        )
        for i in range(draw(st.integers(1, 6)))
    ]
    touches, consents = [], []
    for person in people:
        for n in range(draw(st.integers(0, 3))):
            touches.append(
                Touchpoint(
                    customer_id=person.id,
                    channel=draw(st.sampled_from(CHANNELS)),
                    kind=draw(st.sampled_from(KINDS)),
                    direction="inbound",
                    occurred_at=AS_OF - timedelta(days=draw(st.sampled_from([1, 20, 100]))),
                    external_id=f"{person.name}-{n}",
                )
            )
        for n in range(draw(st.integers(0, 2))):
            consents.append(
                ConsentRecord(
                    customer_id=person.id,
                    purpose=draw(st.sampled_from(PURPOSES)),
                    channel=draw(st.none() | st.sampled_from(CHANNELS)),
                    status=draw(st.sampled_from(["granted", "withdrawn"])),
                    recorded_at=AS_OF - timedelta(days=10 + n),
                )
            )
    return World(people, touches, consents)


def _leaf() -> st.SearchStrategy[Rule]:
    roles = st.sampled_from(ROLES)
    return st.one_of(
        roles.map(lambda r: field("roles").has_tag(r)),
        st.lists(roles, min_size=1, max_size=3).map(lambda rs: field("roles").has_any(rs)),
        st.lists(roles, min_size=1, max_size=3).map(lambda rs: field("roles").has_all(rs)),
        st.sampled_from(STAGES).map(lambda s: field("stage") == s),
        st.lists(st.sampled_from(STAGES), min_size=1, max_size=2).map(lambda ss: field("stage").isin(ss)),
        st.tuples(st.sampled_from(PURPOSES), st.sampled_from(CHANNELS), st.booleans()).map(
            lambda t: field(f"consent.{t[0]}.{t[1]}") == t[2]
        ),
        st.tuples(st.sampled_from(CHANNELS), st.sampled_from(KINDS), st.sampled_from([None, 30])).map(
            lambda t: (
                touchpoints(channel=t[0], kind=t[1]).count() >= 1
                if t[2] is None
                else touchpoints(channel=t[0], kind=t[1]).within(days=t[2]).count() >= 1
            )
        ),
    )


def rules() -> st.SearchStrategy[Rule]:
    return st.recursive(
        _leaf(),
        lambda inner: st.one_of(
            st.lists(inner, max_size=3).map(lambda rs: And(tuple(rs))),
            st.lists(inner, max_size=3).map(lambda rs: Or(tuple(rs))),
            inner.map(Not),
        ),
        max_leaves=4,
    )


def expected_members(world: World, rule: Rule) -> list[UUID]:
    return sorted(
        person.id
        for person in world.customers
        if evaluate(
            rule,
            CustomerView(
                person,
                [t for t in world.touchpoints if t.customer_id == person.id],
                [],
                [c for c in world.consents if c.customer_id == person.id],
                {},
            ),
            AS_OF,
            catalogue=CATALOGUE,
        )
    )


def test_members_equal_evaluate_on_roles_and_declared_values(fresh: Callable[[], Store]) -> None:
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(world=worlds(), checks=st.lists(rules(), min_size=1, max_size=4))
    def check(world: World, checks: list[Rule]) -> None:
        store = fresh()
        with store.unit_of_work() as uow:
            for person in world.customers:
                uow.customers.add(person)
            uow.touchpoints.add_many(world.touchpoints)
            for record in world.consents:
                uow.consents.add(record)
            uow.commit()
        with store.unit_of_work() as uow:
            for rule in checks:
                got = list(uow.segments.members(rule, AS_OF, catalogue=CATALOGUE))
                assert got == expected_members(world, rule), rule

    check()


def test_a_partner_that_buys_is_found_by_either_role(store: Store) -> None:
    crm = CRM(store, vocabularies=VOCABULARIES)
    both = crm.customers.add(Customer.organization("Acme", roles=["customer", "partner"]))
    franchisee = crm.customers.add(Customer.organization("Shop 12", roles=["franchisee"], stage="onboarding"))
    crm.customers.add(Customer.person("Ada"))
    assert list(crm.segments.members(parse('roles has tag "partner"'), AS_OF)) == [both.id]
    assert list(crm.segments.members(field("roles").has_all(["customer", "partner"]), AS_OF)) == [both.id]
    text = 'roles has tag "franchisee" and stage == "onboarding"'
    assert list(crm.segments.members(parse(text, catalogue=crm.catalogue), AS_OF)) == [franchisee.id]
    segment = crm.segments.define("franchisees", field("roles").has_any(["franchisee", "landlord"]))
    assert crm.segments.refresh(segment, AS_OF).entered == (franchisee.id,)


@pytest.mark.parametrize(
    ("rule", "path"),
    [
        (field("roles").has_tag("franchisee"), "value"),
        (field("stage") == "onboarding", "value"),
        (field("consent.newsletter.email") == True, "field"),  # noqa: E712 - a rule, not a test
        (field("consent.marketing.whatsapp") == True, "field"),  # noqa: E712
        (touchpoints(channel="whatsapp").count() >= 1, "where[0].value"),
        (touchpoints(kind="voice_note").count() >= 1, "where[0].value"),
    ],
)
def test_undeclared_values_are_refused_by_the_default_catalogue(rule: Rule, path: str) -> None:
    with pytest.raises(InvalidRuleError) as caught:
        validate(rule, DEFAULT_CATALOGUE)
    assert caught.value.paths == (path,)
    assert validate(rule, CATALOGUE) is not None


def test_the_crm_catalogue_refuses_a_role_it_does_not_declare() -> None:
    crm = CRM.in_memory(vocabularies=VOCABULARIES)
    with pytest.raises(InvalidRuleError) as caught:
        crm.segments.define("tenants", field("roles").has_tag("tenant"))
    assert caught.value.paths == ("value",)
