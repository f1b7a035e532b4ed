"""The lines of the service reports: metrics per group of cases, backlog points, complaint rates.

Each line names its group by the keys the report was asked to group by
(``channel``, ``priority``, ``team``, ``type``, ``period``); a key it was not
asked for is ``None`` (so is ``team`` for cases without a team). How the
numbers are computed is told in [relcore.service.analytics][].
"""

from __future__ import annotations

from datetime import date

import attrs

from relcore.service.durations import Durations

__all__ = ["Attainment", "BacklogPoint", "ComplaintRate", "ServiceMetrics"]


@attrs.frozen
class Attainment:
    """How many SLA clocks of one metric ended, and how many of them in time.

    Attributes:
        met: Clocks fulfilled in time.
        ended: Clocks that ended: fulfilled in time, fulfilled late, or breached.
    """

    met: int
    ended: int

    @property
    def rate(self) -> float | None:
        """``met / ended``; ``None`` when no clock ended."""
        return None if self.ended == 0 else self.met / self.ended


@attrs.frozen(kw_only=True)
class ServiceMetrics:
    """The service metrics of one group of cases opened in a report's range.

    Attributes:
        period: The first local day of the period the cases were opened in, when grouped by period.
        channel: Their channel, when grouped by channel.
        priority: Their priority at ``as_of``, when grouped by priority.
        team: Their team at ``as_of``, when grouped by team.
        type: Their type, when grouped by type.
        cases: How many cases.
        first_response: Time from opening to our first reply, in calendar time, over the cases
            answered by ``as_of``.
        first_response_business: The same in business time.
        resolution: Time from opening to the last solve, in calendar time, over the cases
            solved at ``as_of``.
        resolution_business: The same in business time.
        first_response_sla: Attainment of the first-response clocks.
        resolution_sla: Attainment of the resolution clocks.
        solved: Cases solved at least once by ``as_of``.
        reopened: Cases reopened at least once by ``as_of``.
        complaints: Cases of type complaint.
    """

    period: date | None = None
    channel: str | None = None
    priority: str | None = None
    team: str | None = None
    type: str | None = None
    cases: int
    first_response: Durations
    first_response_business: Durations
    resolution: Durations
    resolution_business: Durations
    first_response_sla: Attainment
    resolution_sla: Attainment
    solved: int
    reopened: int
    complaints: int

    @property
    def reopen_rate(self) -> float | None:
        """``reopened / solved``; ``None`` when no case was solved."""
        return None if self.solved == 0 else self.reopened / self.solved


@attrs.frozen(kw_only=True)
class BacklogPoint:
    """How many cases were open at the end of one period.

    Attributes:
        period: The period's first local day.
        channel: Their channel, when grouped by channel.
        priority: Their priority at the period's end, when grouped by priority.
        team: Their team at the period's end, when grouped by team.
        type: Their type, when grouped by type.
        open: Cases created at or before the period's end and neither solved, closed nor merged then.
    """

    period: date
    channel: str | None = None
    priority: str | None = None
    team: str | None = None
    type: str | None = None
    open: int


@attrs.frozen(kw_only=True)
class ComplaintRate:
    """Complaints opened in one period, per thousand customers.

    Attributes:
        period: The period's first local day.
        complaints: Cases of type complaint opened in the period (and in the report's range).
        customers: Customers created at or before the period's end.
        rate: ``complaints * 1000 / customers``; ``None`` when there are no customers.
    """

    period: date
    complaints: int
    customers: int
    rate: float | None
