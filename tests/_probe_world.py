"""What the bad-input probe needs: hostile values, a small world, valid arguments, store snapshots.

The probe calls every public method of [CRM][relcore.CRM] with one argument
replaced by a bad value and the others valid. The valid arguments come from
:func:`valid_argument`, by parameter name, so a new method is probed as soon
as its parameters are named here (a test fails until they are).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import attrs
import sqlalchemy as sa

from relcore import CRM, Contact, ContactPoint, Customer, Touchpoint, Transaction, Vocabularies
from relcore._kernel.events import DomainEvent
from relcore.domain import CustomerCreated
from relcore.registry import Store
from relcore.segments import DEFAULT_CATALOGUE, Segment, field
from relcore.testing.contracts import FixedClock

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


def _boom(*args: object, **kwargs: object) -> Any:
    raise RuntimeError("a hostile object was called into")


class Hostile:
    """An object every dunder of which raises."""

    __repr__ = __str__ = __format__ = _boom
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __hash__ = _boom  # type: ignore[assignment]
    __bool__ = __len__ = __iter__ = __index__ = __int__ = __float__ = __fspath__ = _boom
    __getattr__ = _boom


class HostileText(str):
    """Text whose methods raise: a ``str`` subclass passes ``isinstance`` checks."""

    __repr__ = __str__ = __format__ = _boom
    __eq__ = __ne__ = __lt__ = __hash__ = __len__ = __iter__ = __contains__ = _boom  # type: ignore[assignment]
    strip = upper = lower = encode = casefold = startswith = isascii = _boom  # type: ignore[assignment]


class HostileId(UUID):
    """A UUID whose comparisons, hash and text raise."""

    __repr__ = __str__ = _boom
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __hash__ = _boom  # type: ignore[assignment]


class HostileZone(tzinfo):
    """A time zone that raises when asked anything."""

    utcoffset = dst = tzname = fromutc = _boom  # type: ignore[assignment]


class HostileInt(int):
    """An int whose comparisons and hash raise."""

    __repr__ = __str__ = __eq__ = __lt__ = __le__ = __gt__ = __ge__ = __hash__ = _boom  # type: ignore[assignment]


class RaisingIterable:
    """An iterable whose iterator raises on the first item."""

    def __iter__(self) -> Iterator[object]:
        raise RuntimeError("iteration failed")
        yield  # pragma: no cover


ALWAYS_BAD: tuple[object, ...] = (
    Hostile(),
    object(),
    bytearray(b"x"),
    float("nan"),
    1 + 2j,
    ...,
    RaisingIterable(),
)
"""Values no parameter of the facade accepts (``None`` joins them for required parameters)."""

HOSTILE_OF_RIGHT_TYPE: tuple[object, ...] = (
    HostileText("lead"),
    HostileId(int=1),
    HostileInt(5),
    datetime(2025, 1, 1, tzinfo=HostileZone()),
)
"""Values of an accepted type whose methods raise: refused or used as plain values, never leaking."""


@attrs.define
class World:
    """A CRM with a few of everything, and what the probe's valid arguments refer to."""

    crm: CRM
    store: Store
    ada: Customer
    contact: Contact
    tmp: Path
    counter: list[int] = attrs.field(factory=lambda: [0])

    def fresh(self, prefix: str) -> str:
        self.counter[0] += 1
        return f"{prefix}-{self.counter[0]}"


def build_world(store: Store, tmp: Path) -> World:
    """Add customers, a contact, consent, activity and two segments to ``store``."""
    crm = CRM(store, clock=FixedClock(NOW))
    ada = crm.customers.add(
        Customer.person("Ada", identities=[("shop", "1001")], created_at=NOW - timedelta(days=90))
    )
    contact = crm.customers.add_contact(
        Contact(
            customer_id=ada.id,
            name="Ada",
            points=(ContactPoint.email("ada@example.org"), ContactPoint.phone("+442079460018")),
        )
    )
    crm.consent.record(ada.id, "marketing", "granted", channel="email", recorded_at=NOW - timedelta(days=9))
    crm.activity.record_touchpoint(_touchpoint(ada.id, "t-1"))
    crm.activity.record_transaction(_transaction(ada.id, "o-1"))
    crm.segments.define("regulars", field("stage") == "lead")
    crm.segments.define("picked", kind="static")
    return World(crm, store, ada, contact, tmp)


def _touchpoint(customer_id: UUID, external_id: str | None = None) -> Touchpoint:
    return Touchpoint(
        customer_id=customer_id,
        channel="email",
        direction="inbound",
        occurred_at=NOW - timedelta(days=3),
        external_id=external_id,
    )


def _transaction(customer_id: UUID, external_id: str | None = None) -> Transaction:
    return Transaction(
        customer_id=customer_id,
        amount=Decimal("12.50"),
        currency="EUR",
        occurred_at=NOW - timedelta(days=2),
        external_id=external_id,
    )


_VALID: dict[str, Callable[[World], object]] = {
    "after": lambda w: None,
    "as_of": lambda w: None,
    "at": lambda w: NOW,
    "by": lambda w: "clv",
    "catalogue": lambda w: DEFAULT_CATALOGUE,
    "channel": lambda w: "email",
    "channels": lambda w: None,
    "chunk_size": lambda w: 100,
    "clock": lambda w: FixedClock(NOW),
    "contact": lambda w: Contact(customer_id=w.ada.id, name=w.fresh("contact")),
    "contacts": lambda w: (),
    "customer": lambda w: Customer.person(w.fresh("customer")),
    "customer_id": lambda w: w.ada.id,
    "customer_ids": lambda w: [w.ada.id],
    "currency": lambda w: None,
    "description": lambda w: None,
    "email": lambda w: "ada@example.org",
    "event_type": lambda w: CustomerCreated,
    "expires_at": lambda w: None,
    "handler": lambda w: lambda event: None,
    "customers": lambda w: [],
    "kind": lambda w: "dynamic",
    "limit": lambda w: 10,
    "name": lambda w: w.fresh("segment"),
    "namespace": lambda w: "shop",
    "notice_version": lambda w: None,
    "phone": lambda w: None,
    "progress": lambda w: None,
    "purpose": lambda w: "marketing",
    "read_only": lambda w: False,
    "recorded_at": lambda w: None,
    "region": lambda w: None,
    "reuse_models": lambda w: False,
    "rule": lambda w: field("stage") == "lead",
    "segment": lambda w: "regulars",
    "settings": lambda w: None,
    "since": lambda w: None,
    "source": lambda w: "probe",
    "status": lambda w: "granted",
    "touchpoint": lambda w: _touchpoint(w.ada.id),
    "touchpoints": lambda w: [],
    "transaction": lambda w: _transaction(w.ada.id),
    "transactions": lambda w: [],
    "until": lambda w: None,
    "upgrade": lambda w: True,
    "value": lambda w: "1001",
    "vocabularies": lambda w: Vocabularies(),
}
_VALID_IN: dict[tuple[str, str], Callable[[World], object]] = {
    ("open", "target"): lambda w: str(w.tmp / "opened.db"),  # migrated by the first valid open
    ("segments.members", "target"): lambda w: "regulars",
    ("segments.explain", "target"): lambda w: "regulars",
    ("segments.add_members", "segment"): lambda w: "picked",
    ("segments.remove_members", "segment"): lambda w: "picked",
    ("customers.save", "customer"): lambda w: w.crm.customers.get(w.ada.id),
}

SETUP_METHODS = frozenset({"open", "in_memory"})
"""Methods that build a CRM: they refuse bad arguments with ConfigurationError."""


NAMESPACES = ("customers", "consent", "activity", "segments", "value")
"""The facade's namespaces, each a typed attribute of a CRM."""


@functools.cache
def public_methods() -> dict[str, inspect.Signature]:
    """Every public method of CRM and of its namespaces, by dotted name (``"customers.add"``), with
    its signature (without ``self``/``cls``)."""
    found = {}
    for name, member in inspect.getmembers(CRM):
        if not name.startswith("_") and callable(member):
            found[name] = inspect.signature(member)
    probe = CRM.in_memory()
    for space in NAMESPACES:
        for name, member in inspect.getmembers(getattr(probe, space)):
            if not name.startswith("_") and callable(member):
                found[f"{space}.{name}"] = inspect.signature(member)
    return found


def bound(crm: object, method: str) -> Any:
    """The method named ``method`` (a dotted name of [public_methods][]) of ``crm`` or the CRM class."""
    target = crm
    for part in method.split("."):
        target = getattr(target, part)
    return target


def parameters(method: str) -> list[inspect.Parameter]:
    """The parameters of ``method`` the probe varies."""
    signature = public_methods()[method]
    return [p for p in signature.parameters.values() if p.name not in ("self", "cls")]


def has_valid_argument(method: str, name: str) -> bool:
    return (method, name) in _VALID_IN or name in _VALID


def valid_argument(world: World, method: str, name: str) -> object:
    make = _VALID_IN.get((method, name)) or _VALID[name]
    return make(world)


def optional(parameter: inspect.Parameter) -> bool:
    """Whether ``None`` is a valid value (the default, or ``| None`` in the annotation)."""
    return parameter.default is None or "None" in str(parameter.annotation)


def call(world: World, method: str, arguments: dict[str, object]) -> object:
    """Call ``method`` with ``arguments``; consume iterators; close CRMs it made."""
    positional = [
        arguments[p.name]
        for p in parameters(method)
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    keywords = {
        p.name: arguments[p.name] for p in parameters(method) if p.kind is inspect.Parameter.KEYWORD_ONLY
    }
    target = CRM if method in SETUP_METHODS else world.crm
    result = bound(target, method)(*positional, **keywords)
    if isinstance(result, CRM):
        result.close()
    elif isinstance(result, Iterator):
        result = list(result)
    return result


def snapshot(store: Store) -> object:
    """Everything the store holds, in a form that compares with ``==``."""
    from relcore.storage.memory import MemoryStore

    if isinstance(store, MemoryStore):
        return store._tables.dump()
    from relcore.storage.sql.schema import metadata

    bind = store.bind  # type: ignore[attr-defined]
    rows = {}
    with bind.connect() as connection:
        for table in metadata.sorted_tables:
            rows[table.name] = sorted(map(repr, connection.execute(sa.select(table)).all()))
    return rows


def _target() -> object:
    from relcore.service import SlaTarget

    return SlaTarget(metric="resolution", priority="high", minutes=240)


def _policy() -> object:
    from relcore.service import SlaPolicy

    return SlaPolicy(name="Standard", targets=[_target()], created_at=NOW)


def constructors() -> dict[str, tuple[Callable[..., object], dict[str, object]]]:
    """Every public way to build an entity or value object, with valid keyword arguments.

    The attrs classes of ``relcore.domain`` are found by introspection (domain
    events are left to their own tests); a new one fails
    ``test_every_entity_constructor_is_probed`` until it is listed here.
    """
    from relcore import domain
    from relcore.domain import ConsentRecord, CustomerMetrics, Identity, PostalAddress, ValueRun
    from relcore.feedback import FeedbackResponse, Scale
    from relcore.marketing import Campaign, CampaignMember, Suppression
    from relcore.partners import OpportunityPartner, PartnerProfile
    from relcore.sales import Opportunity, OpportunityChange, Pipeline, Stage
    from relcore.service import (
        BusinessCalendar,
        Case,
        CaseChange,
        CaseCondition,
        CaseStatus,
        SlaMark,
        SlaPolicy,
        SlaPolicyRevision,
        SlaTarget,
    )
    from relcore.service.calendars import Opening
    from relcore.value.services import ValueSettings

    who = UUID(int=7)
    policy = _policy()
    week = [[Opening(540, 1020)], [], [], [], [], [], []]
    address = PostalAddress(lines=("1 Main St",), locality="London", country="GB")
    found: dict[str, tuple[Callable[..., object], dict[str, object]]] = {
        "Customer": (Customer, {"type": "person", "name": "Ada"}),
        "Customer.person": (Customer.person, {"name": "Ada"}),
        "Customer.organization": (Customer.organization, {"name": "Acme"}),
        "Identity": (Identity, {"namespace": "shop", "value": "1001"}),
        "Contact": (Contact, {"customer_id": who, "name": "Ada"}),
        "ContactPoint": (ContactPoint, {"kind": "email", "value": "ada@example.org"}),
        "ContactPoint.email": (ContactPoint.email, {"address": "ada@example.org"}),
        "ContactPoint.phone": (ContactPoint.phone, {"number": "+442079460018"}),
        "ContactPoint.postal": (ContactPoint.postal, {"address": address}),
        "ContactPoint.social": (ContactPoint.social, {"network": "mastodon", "handle": "@ada"}),
        "PostalAddress": (PostalAddress, {"lines": ("1 Main St",), "locality": "London", "country": "GB"}),
        "ConsentRecord": (ConsentRecord, {"customer_id": who, "purpose": "marketing", "status": "granted"}),
        "Touchpoint": (
            Touchpoint,
            {"customer_id": who, "channel": "email", "direction": "inbound", "occurred_at": NOW},
        ),
        "Transaction": (
            Transaction,
            {"customer_id": who, "amount": Decimal("1.50"), "currency": "EUR", "occurred_at": NOW},
        ),
        "CustomerMetrics": (CustomerMetrics, {"customer_id": who, "as_of": NOW, "run_id": who}),
        "ValueRun": (ValueRun, {"as_of": NOW}),
        "Segment": (Segment, {"name": "picked", "kind": "static"}),
        "ValueSettings": (ValueSettings, {}),
        "Stage": (Stage, {"key": "qualify", "label": "Qualify", "position": 0, "probability": "0.1"}),
        "Stage.won": (Stage.won, {"position": 1}),
        "Stage.lost": (Stage.lost, {"position": 2}),
        "Pipeline": (
            Pipeline,
            {
                "name": "Direct",
                "currency": "EUR",
                "stages": (
                    Stage(key="qualify", label="Qualify", position=0, probability="0.1"),
                    Stage.won(position=1),
                    Stage.lost(position=2),
                ),
            },
        ),
        "Pipeline.of": (
            Pipeline.of,
            {"name": "Direct", "stages": [("qualify", "Q", "0.1")], "currency": "EUR"},
        ),
        "Opportunity": (
            Opportunity,
            {"customer_id": who, "pipeline_id": who, "stage": "qualify", "name": "Deal", "created_at": NOW},
        ),
        "PartnerProfile": (PartnerProfile, {"customer_id": who, "active_from": date(2026, 1, 1)}),
        "Scale": (Scale, {"low": 1, "high": 5}),
        "FeedbackResponse": (
            FeedbackResponse,
            {"customer_id": who, "kind": "csat", "score": 4, "answered_at": NOW, "channel": "email"},
        ),
        "OpportunityPartner": (
            OpportunityPartner,
            {"opportunity_id": who, "customer_id": who, "partner_id": who, "role": "reseller"},
        ),
        "Case": (Case, {"customer_id": who, "subject": "Parcel lost", "channel": "email", "created_at": NOW}),
        "CaseChange": (
            CaseChange,
            {
                "case_id": who,
                "customer_id": who,
                "kind": "opened",
                "at": NOW,
                "status": "new",
                "category": "new",
                "priority": "normal",
            },
        ),
        "CaseStatus": (CaseStatus, {"key": "awaiting_parts", "category": "on_hold"}),
        "CaseCondition": (CaseCondition, {"priorities": ["high"], "tags_any": ["vip"]}),
        "SlaTarget": (SlaTarget, {"metric": "resolution", "priority": "high", "minutes": 240}),
        "SlaPolicy": (SlaPolicy, {"name": "Standard", "targets": [_target()]}),
        "SlaPolicyRevision": (
            SlaPolicyRevision,
            {"policy_id": policy.id, "version": 1, "policy": policy, "recorded_at": NOW},  # type: ignore[attr-defined]
        ),
        "SlaMark": (
            SlaMark,
            {
                "case_id": who,
                "customer_id": who,
                "metric": "resolution",
                "kind": "breached",
                "at": NOW,
                "marked_at": NOW,
            },
        ),
        "BusinessCalendar": (BusinessCalendar, {"timezone": "Europe/Paris", "week": week}),
        "BusinessCalendar.weekly": (
            BusinessCalendar.weekly,
            {"timezone": "Europe/Paris", "days": {"mon": "09:00-17:00"}},
        ),
        "Campaign": (Campaign, {"name": "Spring sale", "channel": "email", "created_at": NOW}),
        "CampaignMember": (
            CampaignMember,
            {"campaign_id": who, "customer_id": who, "status": "targeted", "added_at": NOW},
        ),
        "Suppression": (
            Suppression,
            {"kind": "domain", "value": "example.com", "reason": "complaint", "created_at": NOW},
        ),
        "OpportunityChange": (
            OpportunityChange,
            {
                "opportunity_id": who,
                "customer_id": who,
                "kind": "opened",
                "at": NOW,
                "pipeline_id": who,
                "stage": "qualify",
                "outcome": "open",
            },
        ),
    }
    for name in domain.__all__:
        cls = getattr(domain, name)
        if isinstance(cls, type) and attrs.has(cls) and not issubclass(cls, DomainEvent):
            found.setdefault(name, (cls, {"<missing>": None}))
    return found


def constructor_parameters(build: Callable[..., object]) -> list[str]:
    """The keyword parameters of ``build`` (the fields of an attrs class)."""
    if isinstance(build, type) and attrs.has(build):
        return [f.alias or f.name for f in attrs.fields(build) if f.init]
    return [p for p in inspect.signature(build).parameters if p not in ("cls", "self")]


FIELD_OF: dict[tuple[str, str], str] = {
    ("ContactPoint.email", "address"): "value",
    ("ContactPoint.phone", "number"): "value",
    ("ContactPoint.social", "handle"): "value",
}
"""Where a factory's error names the entity's field rather than its own parameter."""
