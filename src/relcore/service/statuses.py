# mypy's attrs plugin does not understand attrs.Converter(..., takes_field=True), which lets every
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""Case statuses, their categories, and case priorities.

A desk names its own statuses (``"awaiting_parts"``, ``"escalated"``); each
belongs to one of six fixed [StatusCategory][relcore.service.StatusCategory]
values, and the categories are what the SLA clocks and the analytics read:
``pending`` (waiting on the customer) and ``on_hold`` (waiting on a third
party) pause resolution clocks by default, ``solved`` and ``closed`` stop
them. The six categories are also statuses of their own name, so a desk that
needs no more works with none declared.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from uuid import UUID, uuid5

import attrs

from relcore._kernel import checks as check
from relcore.customers.model import version_converter
from relcore.ids import new_id

__all__ = [
    "BUILTIN_STATUSES",
    "CaseStatus",
    "Priority",
    "StatusCategory",
    "check_status_key",
    "status_map",
]

_BUILTIN = UUID("0b0b5e1c-5a7e-4c1a-9d2e-5e7a11ce0000")  # namespace of the built-in statuses' ids
_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")


def check_status_key(field: str, value: object) -> str:
    """Return ``value`` as a status key: 1-40 lower-case ASCII letters, digits and ``_``, a letter first."""
    text = check.check_text(field, value, max_len=40)
    if not _KEY.fullmatch(text):
        raise check.fail(field, "expected 1-40 lower-case letters, digits or _, starting with a letter")
    return text


class StatusCategory(StrEnum):
    """What a status means for the clocks: every status belongs to one category."""

    NEW = "new"
    """Not yet looked at."""
    OPEN = "open"
    """Being worked on."""
    PENDING = "pending"
    """Waiting on the customer (pauses resolution clocks by default)."""
    ON_HOLD = "on_hold"
    """Waiting on a third party (pauses resolution clocks by default)."""
    SOLVED = "solved"
    """Solved; the customer may still answer, which reopens the case."""
    CLOSED = "closed"
    """Closed for good."""

    @property
    def is_solved(self) -> bool:
        """Whether a case in this category counts as resolved (solved or closed)."""
        return self in (StatusCategory.SOLVED, StatusCategory.CLOSED)


class Priority(StrEnum):
    """How urgent a case is (Zendesk's four levels)."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        """0 for low up to 3 for urgent."""
        return _RANKS[self]


_RANKS = {p: i for i, p in enumerate(Priority)}


def _key(value: object, field: attrs.Attribute) -> str:  # type: ignore[type-arg]
    return check_status_key(field.name, value)


@attrs.frozen(kw_only=True)
class CaseStatus:
    """A status a case can be in.

    The six [built-in statuses][relcore.service.statuses.BUILTIN_STATUSES] need no
    storing; a desk stores the ones it adds (``crm.service.add_status``). A
    stored status keeps its category once a case has been in it (deactivate
    it instead).

    Attributes:
        id: Time-ordered UUID.
        key: Its stable key (``"awaiting_parts"``), what cases store.
        category: What it means for the clocks.
        label: Its name for people; the key when not given.
        active: Whether cases may enter it.
        version: Stored version, increased by each save.
    """

    id: UUID = attrs.field(factory=new_id, converter=check.uuid)
    key: str = attrs.field(converter=attrs.Converter(_key, takes_field=True))
    category: StatusCategory = attrs.field(converter=check.enum_converter(StatusCategory))
    label: str = attrs.field(converter=check.text(100))
    active: bool = attrs.field(default=True, converter=check.boolean)
    version: int = attrs.field(default=1, converter=version_converter)

    @label.default
    def _label_default(self) -> str:
        return self.key.replace("_", " ").capitalize()


BUILTIN_STATUSES: tuple[CaseStatus, ...] = tuple(
    CaseStatus(id=uuid5(_BUILTIN, c.value), key=c.value, category=c) for c in StatusCategory
)
"""One status per category, keyed by the category's name; every desk has them."""


def status_map(declared: Iterable[CaseStatus] = (), *, field: str = "statuses") -> Mapping[str, CaseStatus]:
    """The built-in statuses and ``declared`` by key.

    Raises:
        ValidationError: A declared status is not a [CaseStatus][relcore.service.CaseStatus], reuses a
            built-in key with another category, or is declared twice with different categories.
    """
    found = {s.key: s for s in BUILTIN_STATUSES}
    for i, status in enumerate(check.check_tuple(lambda _, item: item, field, declared)):
        if not isinstance(status, CaseStatus):
            raise check.fail(f"{field}[{i}]", f"expected a CaseStatus, got {check.kind(status)}")
        known = found.get(status.key)
        if known is not None and known.category is not status.category:
            raise check.fail(
                f"{field}[{i}].category", f"status {status.key!r} is {known.category.value} already"
            )
        found[status.key] = status
    return found
