"""Campaigns through ``crm.campaigns`` on every backend: add, save, status, suppressions, who was left out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from relcore import CRM, ConflictError, Customer, NotFoundError, ValidationError
from relcore.marketing import (
    Campaign,
    CampaignAdded,
    CampaignMember,
    CampaignStatusChanged,
    Exclusion,
    Suppression,
    SuppressionKind,
    normalise_suppressed,
)
from relcore.registry import Store
from relcore.testing._contract_support import snapshot
from relcore.testing.contracts import FixedClock
from relcore.testing.events import capture_events
from relcore.vocabularies import Vocabularies

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
NOW = T0 + timedelta(days=10)


@pytest.fixture
def crm(store: Store) -> CRM:
    return CRM(store, clock=FixedClock(NOW))


def spring(**fields: Any) -> Campaign:
    fields.setdefault("name", "Spring newsletter")
    fields.setdefault("channel", "email")
    fields.setdefault("created_at", T0)
    return Campaign(**fields)


def paths(error: pytest.ExceptionInfo[ValidationError]) -> tuple[str, ...]:
    return error.value.paths


def test_a_campaign_is_added_found_listed_and_announced_after_commit(crm: CRM) -> None:
    with capture_events(crm, CampaignAdded) as seen:
        added = crm.campaigns.add(spring(budget="250.00", currency="EUR"))
    assert [e.campaign_id for e in seen] == [added.id]
    assert crm.campaigns.get(added.id) == added
    assert crm.campaigns.find("Spring newsletter") == added
    assert crm.campaigns.find("spring newsletter") is None  # names compare exactly
    assert crm.campaigns.list().items == (added,)
    with pytest.raises(ConflictError):
        crm.campaigns.add(spring())
    with pytest.raises(NotFoundError):
        crm.campaigns.get(UUID(int=1))


def test_save_is_version_checked_and_never_moves_the_status(crm: CRM) -> None:
    added = crm.campaigns.add(spring())
    saved = crm.campaigns.save(attrs.evolve(added, actual_cost="12.40", currency="EUR"))
    assert (saved.version, str(saved.actual_cost)) == (2, "12.40")
    assert saved.updated_at >= added.updated_at  # the store's clock
    with pytest.raises(ConflictError):
        crm.campaigns.save(attrs.evolve(added, seed=7))  # version 1 is stale
    with pytest.raises(ValidationError) as error:
        crm.campaigns.save(attrs.evolve(saved, status="active"))
    assert paths(error) == ("status",)
    assert crm.campaigns.get(added.id) == saved


def test_status_moves_along_the_allowed_moves_only_and_each_move_is_announced(crm: CRM) -> None:
    added = crm.campaigns.add(spring())
    with capture_events(crm, CampaignStatusChanged) as seen:
        running = crm.campaigns.set_status(added.id, "active")
        again = crm.campaigns.set_status(added.id, "active")  # no move: nothing announced
        paused = crm.campaigns.set_status(added.id, "paused")
    assert (running.version, again.version, paused.version) == (2, 2, 3)
    assert [(e.from_status.value, e.to_status.value, e.version) for e in seen] == [
        ("planned", "active", 2),
        ("active", "paused", 3),
    ]
    crm.campaigns.set_status(added.id, "completed")
    with pytest.raises(ValidationError) as error:
        crm.campaigns.set_status(added.id, "active")  # completed campaigns stay so
    assert paths(error) == ("status",)
    with pytest.raises(ValidationError) as error:
        crm.campaigns.set_status(added.id, "running")
    assert paths(error) == ("status",)


def test_channels_and_purposes_must_be_declared_in_the_crms_vocabularies(store: Store) -> None:
    plain = CRM(store, clock=FixedClock(NOW))
    with pytest.raises(ValidationError) as error:
        plain.campaigns.add(spring(channel="whatsapp"))
    assert paths(error) == ("campaign.channel",)
    with pytest.raises(ValidationError) as error:
        plain.campaigns.add(spring(purpose="newsletter"))
    assert paths(error) == ("campaign.purpose",)
    declared = CRM(
        store,
        clock=FixedClock(NOW),
        vocabularies=Vocabularies(channels=["whatsapp"], purposes=["newsletter"]),
    )
    added = declared.campaigns.add(spring(channel="whatsapp", purpose="newsletter"))
    assert declared.campaigns.get(added.id).channel == "whatsapp"


@pytest.mark.parametrize(
    ("call", "path"),
    [
        (lambda c: c.campaigns.add("not a campaign"), "campaign"),
        (lambda c: c.campaigns.get("nope"), "campaign_id"),
        (lambda c: c.campaigns.find(""), "name"),
        (lambda c: c.campaigns.list(limit=0), "limit"),
        (lambda c: c.campaigns.set_status(UUID(int=1), 3), "status"),
        (lambda c: c.campaigns.suppress("phone", "+33612345678", "x"), "kind"),
        (lambda c: c.campaigns.suppress("address", "not an address", "x"), "value"),
        (lambda c: c.campaigns.suppress("domain", "@example.com", "x"), "value"),
        (lambda c: c.campaigns.suppress("customer", "ada", "x"), "value"),
        (lambda c: c.campaigns.suppress("address", "a@b.c", ""), "reason"),
        (lambda c: c.campaigns.suppress("address", "a@b.c", "x", expires_at=T0), "expires_at"),
        (lambda c: c.campaigns.members(UUID(int=1), excluded="no"), "excluded"),
        (lambda c: c.campaigns.why_excluded(UUID(int=1), 7), "customer_id"),
        (lambda c: c.campaigns.suppressions(at=datetime(2026, 1, 1)), "at"),  # naive
    ],
)
def test_bad_input_is_refused_naming_the_argument_and_changes_nothing(
    crm: CRM, store: Store, call: Any, path: str
) -> None:
    before = snapshot(store)
    with pytest.raises(ValidationError) as error:
        call(crm)
    assert paths(error) == (path,)
    assert "ada" not in str(error.value).lower()  # no personal data echoed
    assert snapshot(store) == before


def test_suppressing_normalises_replaces_expires_and_lifts(crm: CRM) -> None:
    first = crm.campaigns.suppress("address", "  Ada@Example.COM", "hard bounce")
    assert (first.value, first.created_at, first.expires_at) == ("ada@example.com", NOW, None)
    later = NOW + timedelta(days=30)
    again = crm.campaigns.suppress("address", "ada@example.com", "complaint", expires_at=later)
    assert (again.id, again.reason, again.expires_at) == (first.id, "complaint", later)
    domain = crm.campaigns.suppress(SuppressionKind.DOMAIN, "Spam.Test", "spam trap")
    assert [s.value for s in crm.campaigns.suppressions()] == ["ada@example.com", "spam.test"]
    assert [s.value for s in crm.campaigns.suppressions(at=later)] == ["spam.test"]
    assert crm.campaigns.unsuppress("domain", "SPAM.test") is True
    assert crm.campaigns.unsuppress("domain", "spam.test") is False  # no longer live
    assert crm.campaigns.unsuppress("customer", UUID(int=5)) is False  # never suppressed
    assert [s.value for s in crm.campaigns.suppressions()] == ["ada@example.com"]
    with crm.unit_of_work(read_only=True) as uow:
        assert uow.suppressions.get(domain.id).expires_at == NOW  # kept, expired


def test_members_and_why_a_customer_was_left_out(crm: CRM) -> None:
    added = crm.campaigns.add(spring())
    ada, bob, eve, zoe = (
        crm.customers.add(Customer.person(n, created_at=T0)) for n in ("Ada", "Bob", "Eve", "Zoe")
    )
    rows = [
        CampaignMember(
            campaign_id=added.id,
            customer_id=ada.id,
            address="ada@example.com",
            status="targeted",
            variant="a",
            added_at=T0,
        ),
        CampaignMember(campaign_id=added.id, customer_id=bob.id, excluded="no_consent", added_at=T0),
        CampaignMember(
            campaign_id=added.id, customer_id=eve.id, excluded="control_group", variant="c", added_at=T0
        ),
    ]
    with crm.unit_of_work() as uow:  # audiences are built next session: members are stored directly here
        uow.campaign_members.add_many(rows)
        uow.commit()
    assert crm.campaigns.members(added.id) == [rows[0]]
    assert crm.campaigns.members(added.id, excluded=True) == sorted(rows[1:], key=lambda m: m.id)
    assert crm.campaigns.members(added.id, excluded=None) == sorted(rows, key=lambda m: m.id)
    assert crm.campaigns.why_excluded(added.id, ada.id) is None
    assert crm.campaigns.why_excluded(added.id, bob.id) is Exclusion.NO_CONSENT
    assert crm.campaigns.why_excluded(added.id, eve.id) is Exclusion.CONTROL_GROUP
    with pytest.raises(NotFoundError):
        crm.campaigns.why_excluded(added.id, zoe.id)  # never considered
    with pytest.raises(NotFoundError):
        crm.campaigns.why_excluded(UUID(int=1), ada.id)
    with pytest.raises(NotFoundError):
        crm.campaigns.members(UUID(int=1))


def test_a_member_needs_a_status_and_a_customer_left_out_cannot_have_responded() -> None:
    with pytest.raises(ValidationError) as error:
        CampaignMember(campaign_id=UUID(int=1), customer_id=UUID(int=2), added_at=T0)
    assert paths(error) == ("status",)
    with pytest.raises(ValidationError) as error:
        CampaignMember(
            campaign_id=UUID(int=1),
            customer_id=UUID(int=2),
            excluded="suppressed",
            added_at=T0,
            first_responded_at=T0,
        )
    assert paths(error) == ("first_responded_at",)
    with pytest.raises(ValidationError) as error:
        CampaignMember(campaign_id=UUID(int=1), customer_id=UUID(int=2), excluded="bored", added_at=T0)
    assert paths(error) == ("excluded",)
    with pytest.raises(ValidationError) as error:
        Suppression(
            kind="domain",
            value="example.com",
            reason="x",
            created_at=T0,
            expires_at=T0 - timedelta(seconds=1),
        )
    assert paths(error) == ("expires_at",)


_LABEL = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1, max_size=20
)


@given(
    local=_LABEL,
    host=_LABEL,
    top=st.sampled_from(["com", "ORG", "Test"]),
    pad=st.sampled_from(["", " ", "  "]),
)
def test_normalising_an_address_is_idempotent_and_folds_case_and_spaces(
    local: str, host: str, top: str, pad: str
) -> None:
    given_address = f"{pad}{local}@{host}.{top}{pad}"
    once = normalise_suppressed("address", given_address)
    assert once == f"{local}@{host}.{top}".lower()
    assert normalise_suppressed("address", once) == once
    assert normalise_suppressed("domain", f"{host}.{top}") == f"{host}.{top}".lower()
