"""Open vocabularies: token checks, declarations, facade refusals, storage and serialization round trips."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from relcore import (
    CRM,
    Channel,
    ConfigurationError,
    Contact,
    Customer,
    LifecycleStage,
    Purpose,
    RelationshipKind,
    Touchpoint,
    TouchpointKind,
    Transaction,
    ValidationError,
    Vocabularies,
)
from relcore._kernel.tokens import MAX_TOKEN_LENGTH, check_token
from relcore.consent.model import ConsentRecord
from relcore.registry import Store
from relcore.segments import DEFAULT_CATALOGUE
from relcore.serialization import from_dict, from_json, to_dict, to_json

AT = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
TOKENS = st.from_regex(rf"[a-z][a-z0-9_]{{0,{MAX_TOKEN_LENGTH - 1}}}", fullmatch=True)
DECLARED = Vocabularies(
    channels=["whatsapp"],
    purposes=["newsletter"],
    touchpoint_kinds=["voice_note"],
    stages=["onboarding"],
    roles=["franchisee"],
)
ENUMS = (Channel, Purpose, TouchpointKind, LifecycleStage, RelationshipKind)


# -- tokens -------------------------------------------------------------------


@given(st.sampled_from(ENUMS), TOKENS)
def test_a_well_formed_token_is_a_member_if_built_in_else_the_same_text(enum: Any, token: str) -> None:
    value = check_token(enum, "field", token)
    if token in {m.value for m in enum}:
        assert value is enum(token)
    else:
        assert type(value) is str
        assert value == token


@given(st.sampled_from(ENUMS), st.text(max_size=30))
def test_malformed_text_is_refused_without_repeating_it(enum: Any, text: str) -> None:
    if re.fullmatch(rf"[a-z][a-z0-9_]{{0,{MAX_TOKEN_LENGTH - 1}}}", text):
        return
    with pytest.raises(ValidationError) as caught:
        check_token(enum, "field", text)
    assert caught.value.paths == ("field",)
    if len(text) > 3:  # short texts may occur in the message's own words
        assert text not in str(caught.value)


@pytest.mark.parametrize("value", [None, 3, b"email", ["email"], 2.5])
def test_a_value_that_is_not_text_is_refused(value: object) -> None:
    with pytest.raises(ValidationError, match="expected text naming a channel"):
        check_token(Channel, "channel", value)


def test_a_token_may_not_exceed_the_column_width() -> None:
    check_token(Channel, "channel", "a" * MAX_TOKEN_LENGTH)
    with pytest.raises(ValidationError):
        check_token(Channel, "channel", "a" * (MAX_TOKEN_LENGTH + 1))


def test_built_in_values_stay_enum_members_and_declared_ones_plain_text() -> None:
    ada = Customer.person("Ada", stage="onboarding", roles=["partner", "franchisee"])
    assert type(ada.stage) is str
    assert ada.stage == "onboarding"
    assert RelationshipKind.PARTNER in ada.roles
    assert "partner" in ada.roles
    assert {type(r) for r in ada.roles} == {RelationshipKind, str}
    call = Touchpoint(
        customer_id=ada.id, channel="phone", kind="voice_note", direction="inbound", occurred_at=AT
    )
    assert call.channel is Channel.PHONE
    assert call.kind == "voice_note"


def test_a_customer_has_at_least_one_role_and_customer_by_default() -> None:
    assert Customer.person("Ada").roles == {RelationshipKind.CUSTOMER}
    with pytest.raises(ValidationError) as caught:
        Customer.person("Ada", roles=())
    assert caught.value.paths == ("roles",)


# -- declarations ---------------------------------------------------------------


def test_declared_values_follow_the_built_in_ones_sorted() -> None:
    v = Vocabularies(channels=["zalo", "whatsapp", "email"])
    assert v.channels.values == (*(c.value for c in Channel), "whatsapp", "zalo")
    assert v.channels.declared == {"whatsapp", "zalo"}  # a built-in value declared again changes nothing
    assert "zalo" in v.channels
    assert Channel.FAX in v.channels
    assert "line" not in v.channels
    assert len(v.channels) == len(Channel) + 2
    assert "line" not in Vocabularies().channels
    assert 3 not in v.channels


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"channels": ["whatsapp", "Line"]}, "channels[1]"),
        ({"purposes": ["x" * 21]}, "purposes[0]"),
        ({"roles": [7]}, "roles[0]"),
        ({"stages": "onboarding"}, "stages"),
        ({"touchpoint_kinds": None}, "touchpoint_kinds"),
    ],
)
def test_a_bad_declaration_is_refused_naming_it(kwargs: dict[str, Any], path: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Vocabularies(**kwargs)
    assert caught.value.paths == (path,)


def test_the_crm_refuses_vocabularies_of_the_wrong_type_or_a_catalogue_of_other_ones() -> None:
    with pytest.raises(ConfigurationError, match="vocabularies"):
        CRM.in_memory(vocabularies=["whatsapp"])  # type: ignore[arg-type]
    other = DEFAULT_CATALOGUE.with_vocabularies(Vocabularies(channels=["line"]))
    with pytest.raises(ConfigurationError, match="other vocabularies"):
        CRM.in_memory(catalogue=other, vocabularies=DECLARED)
    same = DEFAULT_CATALOGUE.with_attributes(plan="text").with_vocabularies(DECLARED)
    crm = CRM.in_memory(catalogue=same, vocabularies=DECLARED)
    assert crm.catalogue.field("attributes.plan").type == "text"
    assert crm.vocabularies is DECLARED


def test_the_crm_catalogue_knows_the_declared_values() -> None:
    crm = CRM.in_memory(catalogue=DEFAULT_CATALOGUE.with_attributes(plan="text"), vocabularies=DECLARED)
    names = crm.catalogue.names()
    assert "consent.newsletter.whatsapp" in names
    assert "consent.marketing.whatsapp" in names
    assert "consent.newsletter.whatsapp" not in DEFAULT_CATALOGUE.names()
    assert "attributes.plan" in names  # the host's catalogue is kept
    assert "onboarding" in crm.catalogue.field("stage").choices
    assert "franchisee" in crm.catalogue.field("roles").choices


# -- the facade refuses undeclared values, naming the field, before storing --------


def _crm(store: Store) -> CRM:
    return CRM(store, vocabularies=DECLARED)


def _refused(action: Any, path: str, value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        action()
    assert caught.value.paths == (path,)
    assert value not in str(caught.value)


def test_customers_refuse_undeclared_stages_and_roles(store: Store) -> None:
    crm = _crm(store)
    _refused(
        lambda: crm.customers.add(Customer.person("Ada", stage="vip_lead")), "customer.stage", "vip_lead"
    )
    ada = Customer.person("Ada", roles=["customer", "landlord"])
    _refused(lambda: crm.customers.add(ada), "customer.roles[1]", "landlord")
    contact = Contact(customer_id=ada.id, name="Ada", preferred_channel="telegram")
    fine = Customer.person("Ada")
    _refused(lambda: crm.customers.add(fine, [contact]), "contacts[0].preferred_channel", "telegram")
    assert crm.customers.list().items == ()
    crm.customers.add(fine)
    _refused(lambda: crm.customers.save(attrs.evolve(fine, stage="vip_lead")), "customer.stage", "vip_lead")
    on_fine = attrs.evolve(contact, customer_id=fine.id)
    _refused(lambda: crm.customers.add_contact(on_fine), "contact.preferred_channel", "telegram")
    assert crm.customers.get(fine.id) == fine
    assert crm.customers.contacts(fine.id) == []


def test_customer_imports_refuse_undeclared_stages_roles_and_channels(store: Store) -> None:
    crm = _crm(store)
    ada = Customer.person("Ada", stage="onboarding", roles=["franchisee"], identities=[("feed", "1")])
    grace = Customer.person("Grace", identities=[("feed", "2")])
    talks = Contact(customer_id=grace.id, name="Grace", preferred_channel="whatsapp")
    feed: list[Any] = [ada, (grace, [talks])]
    _refused(
        lambda: crm.customers.import_customers([*feed, Customer.person("X", stage="vip_lead")]),
        "customers[2].stage",
        "vip_lead",
    )
    _refused(
        lambda: crm.customers.import_customers([*feed, Customer.person("X", roles=["customer", "landlord"])]),
        "customers[2].roles[1]",
        "landlord",
    )
    x = Customer.person("X")
    telegram = Contact(customer_id=x.id, name="X", preferred_channel="telegram")
    _refused(
        lambda: crm.customers.import_customers([*feed, (x, [telegram])], chunk_size=1),
        "customers[2].contacts[0].preferred_channel",
        "telegram",
    )
    assert crm.customers.list().items == ()  # every refused import was rolled back whole
    assert crm.customers.import_customers(feed) == 2
    assert crm.customers.find("feed", "1") == ada
    assert crm.customers.contacts(grace.id) == [talks]


def test_consent_refuses_undeclared_purposes_and_channels(store: Store) -> None:
    crm = _crm(store)
    ada = crm.customers.add(Customer.person("Ada"))
    _refused(lambda: crm.consent.record(ada.id, "lottery", "granted"), "purpose", "lottery")
    _refused(
        lambda: crm.consent.record(ada.id, "marketing", "granted", channel="telegram"), "channel", "telegram"
    )
    _refused(lambda: crm.consent.may_contact(ada.id, "marketing", "telegram"), "channel", "telegram")
    _refused(lambda: crm.consent.may_contact(ada.id, "lottery", "email"), "purpose", "lottery")
    assert crm.consent.history(ada.id) == []


def test_activity_refuses_undeclared_channels_and_kinds(store: Store) -> None:
    crm = _crm(store)
    ada = crm.customers.add(Customer.person("Ada"))

    def touch(n: int, **fields: Any) -> Touchpoint:
        fields = {"channel": "whatsapp", "kind": "voice_note", **fields}
        return Touchpoint(
            customer_id=ada.id, direction="inbound", occurred_at=AT, external_id=f"t{n}", **fields
        )

    _refused(
        lambda: crm.activity.record_touchpoint(touch(0, channel="telegram")), "touchpoint.channel", "telegram"
    )
    _refused(lambda: crm.activity.record_touchpoint(touch(0, kind="sticker")), "touchpoint.kind", "sticker")
    batch = [touch(1), touch(2, channel="telegram"), touch(3)]
    _refused(lambda: crm.activity.import_touchpoints(batch), "touchpoints[1].channel", "telegram")
    order = Transaction(customer_id=ada.id, amount="5", currency="EUR", occurred_at=AT, channel="telegram")
    _refused(lambda: crm.activity.record_transaction(order), "transaction.channel", "telegram")
    _refused(lambda: crm.activity.import_transactions([order]), "transactions[0].channel", "telegram")
    _refused(lambda: crm.activity.timeline(ada.id, channels=["email", "telegram"]), "channels[1]", "telegram")
    assert crm.activity.timeline(ada.id) == []  # the import was refused whole
    assert crm.activity.record_touchpoint(touch(4)) is True
    assert crm.activity.import_touchpoints([touch(5), touch(6, channel="email", kind="message")]) == 2
    assert len(crm.activity.timeline(ada.id, channels=["whatsapp"])) == 2


def test_a_crm_without_declarations_refuses_what_another_declares(store: Store) -> None:
    crm = CRM(store)
    ada = Customer.person("Ada", roles=["franchisee"])
    _refused(lambda: crm.customers.add(ada), "customer.roles[0]", "franchisee")


# -- storage and serialization round trips -----------------------------------------


def _declared_history(crm: CRM) -> tuple[Customer, Contact, ConsentRecord, Touchpoint, Transaction]:
    ada = crm.customers.add(
        Customer.organization("Acme", stage="onboarding", roles=["customer", "partner", "franchisee"])
    )
    contact = crm.customers.add_contact(Contact(customer_id=ada.id, name="Bo", preferred_channel="whatsapp"))
    record = crm.consent.record(ada.id, "newsletter", "granted", channel="whatsapp", recorded_at=AT)
    touch = Touchpoint(
        customer_id=ada.id, channel="whatsapp", kind="voice_note", direction="inbound", occurred_at=AT
    )
    order = Transaction(
        customer_id=ada.id, amount=Decimal("12.50"), currency="EUR", occurred_at=AT, channel="whatsapp"
    )
    crm.activity.record_touchpoint(touch)
    crm.activity.record_transaction(order)
    return ada, contact, record, touch, order


def test_declared_values_round_trip_through_every_backend(store: Store) -> None:
    crm = _crm(store)
    ada, contact, record, touch, order = _declared_history(crm)
    got = crm.customers.get(ada.id)
    assert got == ada
    assert got.roles == {"customer", "partner", "franchisee"}
    assert RelationshipKind.PARTNER in got.roles
    assert got.stage == "onboarding"
    assert crm.customers.contacts(ada.id) == [contact]
    assert crm.consent.history(ada.id) == [record]
    assert crm.activity.timeline(ada.id) == [touch, order] or crm.activity.timeline(ada.id) == [order, touch]
    assert crm.consent.may_contact(ada.id, "newsletter", "whatsapp", AT)
    assert not crm.consent.may_contact(ada.id, "newsletter", "email", AT)
    saved = crm.customers.save(attrs.evolve(got, roles={"supplier"}, stage="customer"))
    again = crm.customers.get(ada.id)
    assert again == saved
    assert again.roles == {RelationshipKind.SUPPLIER}
    assert again.stage is LifecycleStage.CUSTOMER


def test_declared_values_and_roles_round_trip_through_json() -> None:
    crm = CRM.in_memory(vocabularies=DECLARED)
    for entity in _declared_history(crm):
        data = to_dict(entity)
        assert from_dict(type(entity), data) == entity
        assert from_json(type(entity), to_json(entity)) == entity
    ada = _declared_history(crm)[0]
    data = to_dict(ada)
    assert data["roles"] == ["customer", "franchisee", "partner"]  # sorted text
    assert all(type(r) is str for r in data["roles"])
    assert type(data["stage"]) is str
    with pytest.raises(ValidationError) as caught:
        from_dict(Customer, {**data, "roles": ["customer", "Bad Role"]})
    assert caught.value.paths == ("roles[1]",)
