"""Where a case stood at an instant, read from its history alone (for the service reports)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from relcore.ids import SlaPolicyId
from relcore.service.model import Case, CaseChange, CaseChangeKind
from relcore.service.statuses import Priority, StatusCategory


@attrs.frozen
class Standing:
    """A case as its history shows it at an instant (after every entry at or before it)."""

    category: StatusCategory
    priority: Priority
    team: str | None
    policy_id: SlaPolicyId | None
    policy_version: int | None
    merged: bool
    solved_since: datetime | None  # the latest entry into a solved category, if solved (not merged)
    ever_solved: bool  # entered a solved category other than by a merge
    reopened: bool  # reopened at least once

    @property
    def is_open(self) -> bool:
        """Neither solved, closed nor merged."""
        return not self.category.is_solved and not self.merged


class _Reader:
    """Reads a case's history entry by entry, answering where it stands after the entries read."""

    def __init__(self, case: Case, history: Sequence[CaseChange]) -> None:
        self._case = case
        self._history = history
        self._next = 0
        self._since: datetime | None = None
        self._ever = self._reopened = self._merged = False

    def at(self, moment: datetime) -> Standing:
        """Where the case stands at ``moment``: never earlier than the instant asked before."""
        history = self._history
        while self._next < len(history) and history[self._next].at <= moment:
            entry = history[self._next]
            self._next += 1
            if entry.kind is CaseChangeKind.MERGED:
                self._merged = True
            elif entry.kind is CaseChangeKind.REOPENED:
                self._reopened = True
            if not entry.category.is_solved:
                self._since = None
            elif self._since is None:
                self._since = entry.at
                self._ever = self._ever or entry.kind is not CaseChangeKind.MERGED
        if not history:
            return _from_fields(self._case, moment)
        if self._next == 0:
            case = self._case
            return Standing(
                StatusCategory.NEW,
                case.priority,
                case.team,
                case.policy_id,
                case.policy_version,
                merged=False,
                solved_since=None,
                ever_solved=False,
                reopened=False,
            )
        last = history[self._next - 1]
        return Standing(
            last.category,
            last.priority,
            last.team,
            last.policy_id,
            last.policy_version,
            merged=self._merged,
            solved_since=None if self._merged else self._since,
            ever_solved=self._ever,
            reopened=self._reopened,
        )


def _from_fields(case: Case, moment: datetime) -> Standing:
    """A case stored without history (imported): as it is now, solved from its ``solved_at`` on."""
    solved = case.solved_at is not None and case.solved_at <= moment
    merged = solved and case.merged_into is not None
    return Standing(
        case.category if solved else StatusCategory.OPEN,
        case.priority,
        case.team,
        case.policy_id,
        case.policy_version,
        merged=merged,
        solved_since=case.solved_at if solved and not merged else None,
        ever_solved=solved and not merged,
        reopened=solved and not merged and case.reopen_count > 0,
    )


def standing(case: Case, history: Sequence[CaseChange], at: datetime) -> Standing:
    """Where ``case`` stood at ``at``, from its ``history`` (oldest first; later entries ignored).

    A case without an entry at or before ``at`` stands as it was opened: its
    first entry's previous state is not recorded, so the case's own priority,
    team and policy are used, in the category ``new``. A case without any
    history (stored directly, as an import does) is read from its own fields.
    """
    return _Reader(case, history).at(at)


def standings(case: Case, history: Sequence[CaseChange], instants: Sequence[datetime]) -> list[Standing]:
    """Where ``case`` stood at each of the ascending ``instants``, reading its history once."""
    reader = _Reader(case, history)
    return [reader.at(moment) for moment in instants]
