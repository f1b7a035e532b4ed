# mypy's attrs plugin does not understand attrs.Converter(..., takes_field=True), which lets every
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""The statuses a campaign's members go through, and the rule that moves them.

Each campaign lists its own member statuses (Salesforce's campaign member
statuses): what they are called, their order, whether reaching one counts as
a response, and whether it ends the member's progress (a bounce, an
unsubscribe). A list has exactly one default status, the one new members
start in, and at least one status that counts as a response, the rule
Salesforce enforces on every campaign.

A member's status only moves forward in that order, except that any status
that is not terminal may move into a terminal one; nothing leaves a terminal
status ([advance_status][relcore.marketing.advance_status]).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

import attrs

from relcore._kernel import checks as check
from relcore.sales.pipelines import check_key

__all__ = [
    "DEFAULT_MEMBER_STATUSES",
    "MAX_MEMBER_STATUSES",
    "MemberStatus",
    "advance_status",
    "check_member_statuses",
]

MAX_MEMBER_STATUSES = 50
"""The most statuses one campaign may list."""


def _key(value: object, field: attrs.Attribute) -> str:  # type: ignore[type-arg]
    return check_key(field.name, value)


def _position(value: object, field: attrs.Attribute) -> int:  # type: ignore[type-arg]
    return check.positive_int(field.name, value, maximum=1000)


@attrs.frozen(kw_only=True)
class MemberStatus:
    """One status a campaign member can be in.

    Attributes:
        key: Its stable key (``"opened"``), what members store.
        label: Its name for people; from the key when not given.
        position: Its place in the campaign's order; members move to greater positions only.
        responded: Whether a member in this status has responded (Salesforce's ``HasResponded``).
        terminal: Whether it ends the member's progress (a bounce, an unsubscribe).
        default: Whether new members start in it; a campaign has exactly one default.
    """

    key: str = attrs.field(converter=attrs.Converter(_key, takes_field=True))
    label: str = attrs.field(converter=check.text(100))
    position: int = attrs.field(converter=attrs.Converter(_position, takes_field=True))
    responded: bool = attrs.field(default=False, converter=check.boolean)
    terminal: bool = attrs.field(default=False, converter=check.boolean)
    default: bool = attrs.field(default=False, converter=check.boolean)

    @label.default
    def _label_default(self) -> str:
        return self.key.replace("_", " ").capitalize()

    def __attrs_post_init__(self) -> None:
        if self.default and self.terminal:
            raise check.fail("default", "the status new members start in cannot be terminal")


DEFAULT_MEMBER_STATUSES: tuple[MemberStatus, ...] = (
    MemberStatus(key="targeted", position=0, default=True),
    MemberStatus(key="sent", position=1),
    MemberStatus(key="delivered", position=2),
    MemberStatus(key="opened", position=3),
    MemberStatus(key="clicked", position=4),
    MemberStatus(key="responded", position=5, responded=True),
    MemberStatus(key="converted", position=6, responded=True),
    MemberStatus(key="bounced", position=7, terminal=True),
    MemberStatus(key="unsubscribed", position=8, terminal=True),
)
"""The statuses a campaign lists unless given others, in their order: ``targeted`` (the default),
``sent``, ``delivered``, ``opened``, ``clicked``, ``responded`` and ``converted`` (both count as
responses), then the terminal ``bounced`` and ``unsubscribed``."""


T = TypeVar("T")


def _status(path: str, value: object) -> MemberStatus:
    if isinstance(value, Mapping):  # as stored: a JSON object
        return check.stored(path, lambda: MemberStatus(**dict(value)))
    if not isinstance(value, MemberStatus):
        raise check.fail(path, f"expected a MemberStatus, got {check.kind(value)}")
    return value


def check_member_statuses(value: object, field: str = "member_statuses") -> tuple[MemberStatus, ...]:
    """Return a campaign's list of member statuses, ordered by position, if it is a valid list.

    A valid list has from 1 to [MAX_MEMBER_STATUSES][relcore.marketing.statuses.MAX_MEMBER_STATUSES]
    statuses with distinct keys and distinct positions, exactly one default and at least one
    status that counts as a response.

    Raises:
        ValidationError: Naming ``field`` (or the offending item, ``member_statuses[2].key``).
    """
    statuses = check.check_tuple(_status, field, value)
    if not statuses:
        raise check.fail(field, "a campaign needs at least one member status")
    if len(statuses) > MAX_MEMBER_STATUSES:
        raise check.fail(field, f"at most {MAX_MEMBER_STATUSES} statuses")
    keys: set[str] = set()
    positions: set[int] = set()
    for i, status in enumerate(statuses):
        if status.key in keys:
            raise check.fail(f"{field}[{i}].key", "another status has this key")
        if status.position in positions:
            raise check.fail(f"{field}[{i}].position", "another status has this position")
        keys.add(status.key)
        positions.add(status.position)
    defaults = sum(1 for s in statuses if s.default)
    if defaults != 1:
        raise check.fail(field, f"exactly one status must be the default, found {defaults}")
    if not any(s.responded for s in statuses):
        raise check.fail(field, "at least one status must count as a response")
    return tuple(sorted(statuses, key=lambda s: s.position))


def _find(statuses: Iterable[MemberStatus], key: str, field: str) -> MemberStatus:
    found = next((s for s in statuses if s.key == key), None)
    if found is None:
        raise check.fail(field, "not one of the campaign's member statuses")
    return found


def advance_status(statuses: Iterable[MemberStatus], current: str, new: str) -> str:
    """Return the status a member is in after ``new`` is recorded while it is in ``current``.

    A member moves to a status of greater position, or from a status that is
    not terminal into a terminal one. Recording a status of smaller position
    than the current one (an open reported after the click) leaves the
    member where it is: the later status already implies it. Recording the
    current status again changes nothing.

    Args:
        statuses: The campaign's member statuses.
        current: The key of the member's status.
        new: The key of the status recorded.

    Returns:
        ``new`` if the member moves there, else ``current``.

    Raises:
        ValidationError: Naming ``status``, if either key is not one of
            ``statuses`` or the member would leave a terminal status.

    Example:
        >>> from relcore.marketing import DEFAULT_MEMBER_STATUSES as S
        >>> advance_status(S, "sent", "clicked"), advance_status(S, "clicked", "opened")
        ('clicked', 'clicked')
        >>> advance_status(S, "clicked", "unsubscribed")
        'unsubscribed'
    """
    listed = tuple(statuses)
    before = _find(listed, check.check_text("status", current, max_len=40), "status")
    after = _find(listed, check.check_text("status", new, max_len=40), "status")
    if after.key == before.key:
        return before.key
    if before.terminal:
        raise check.fail("status", "a member in a terminal status stays there")
    if after.terminal or after.position > before.position:
        return after.key
    return before.key
