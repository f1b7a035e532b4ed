"""The attribution report: credited revenue per campaign and currency, what no campaign earned, and ROI.

[summarise][relcore.marketing.attribution_report.summarise] adds up the
[Credit][relcore.marketing.attribution.Credit]s of many orders, as
[attribute][relcore.marketing.attribution.attribute] makes them, into an
[AttributionReport][relcore.marketing.attribution_report.AttributionReport]:

* per campaign and currency
  ([CampaignRevenue][relcore.marketing.attribution_report.CampaignRevenue]):
  the revenue credited, the orders whose window held one of the campaign's
  touches (an order counts for every campaign touched in its window, even
  one the model gives nothing, as first and last touch do), and the touches
  in those windows (a touch in the windows of two orders counts twice);
* per currency: the revenue of all the orders, and the part no campaign
  earned (orders with no campaign touch in their window);
* per campaign
  ([CampaignReturn][relcore.marketing.attribution_report.CampaignReturn]):
  the return on its actual cost, ``ROI = (revenue - cost) / cost``
  ([roi][relcore.marketing.statistics.roi]), where ``revenue`` is the revenue
  credited to it in the campaign's own currency. Revenue in other currencies
  cannot be compared with the cost without exchange rates, so the ROI is
  ``None`` when the campaign has a non-zero credited revenue in another
  currency; it is ``None`` too when the campaign is not stored, has no actual
  cost, or an actual cost of 0. A campaign with a cost and no revenue has
  an ROI of -1.

Money stays exact: every sum is a `Decimal` in the currency's minor unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

import attrs

from relcore._kernel import checks as check
from relcore._kernel.money import from_minor_units
from relcore.marketing.attribution import AttributionModel, Credit
from relcore.marketing.model import Campaign
from relcore.marketing.statistics import roi

__all__ = ["AttributionReport", "CampaignReturn", "CampaignRevenue", "campaign_return", "summarise"]


@attrs.frozen
class CampaignRevenue:
    """The revenue one campaign earned in one currency.

    Attributes:
        campaign_id: The campaign.
        currency: The orders' currency.
        revenue: The revenue credited to the campaign, exact.
        orders: The orders in this currency whose window held a touch of the campaign.
        touches: The campaign's touches in those windows, counted once per order.
    """

    campaign_id: UUID
    currency: str
    revenue: Decimal
    orders: int
    touches: int


@attrs.frozen
class CampaignReturn:
    """What a campaign cost and earned in its own currency, and the return on it.

    Attributes:
        campaign_id: The campaign.
        currency: The campaign's currency; ``None`` if it has no amounts or is not stored.
        cost: Its actual cost, if known.
        revenue: The revenue credited to it in its currency (0 if none);
            ``None`` when its currency is unknown.
        roi: ``(revenue - cost) / cost``, or ``None`` (see
            [relcore.marketing.attribution_report][] for when).
    """

    campaign_id: UUID
    currency: str | None
    cost: Decimal | None
    revenue: Decimal | None
    roi: Decimal | None


@attrs.frozen
class AttributionReport:
    """The revenue of a period's orders shared among the campaigns that touched them.

    Attributes:
        model: The attribution model used.
        start: Orders placed at or after it counted.
        end: Orders placed before it counted.
        lookback: How far before an order a touch still counted.
        half_life: The half-life of the ``time_decay`` model, else ``None``.
        orders: How many orders there were.
        revenue: Their revenue per currency.
        unattributed: The part of it no campaign earned, per currency (0 when every order was touched).
        campaigns: The revenue per campaign and currency, by campaign id then currency.
        returns: The return of each campaign, by campaign id.
    """

    model: AttributionModel
    start: datetime
    end: datetime
    lookback: timedelta
    half_life: timedelta | None
    orders: int
    revenue: dict[str, Decimal]
    unattributed: dict[str, Decimal]
    campaigns: tuple[CampaignRevenue, ...]
    returns: tuple[CampaignReturn, ...]

    def revenue_of(self, campaign_id: UUID) -> dict[str, Decimal]:
        """The revenue credited to one campaign, per currency (empty if it earned nothing)."""
        return {row.currency: row.revenue for row in self.campaigns if row.campaign_id == campaign_id}

    def return_of(self, campaign_id: UUID) -> CampaignReturn | None:
        """The return of one campaign, if the report has it."""
        return next((row for row in self.returns if row.campaign_id == campaign_id), None)


def campaign_return(
    campaign_id: UUID, campaign: Campaign | None, revenue: Mapping[str, Decimal]
) -> CampaignReturn:
    """The return of one campaign on its actual cost, given its credited revenue per currency.

    Args:
        campaign_id: The campaign's id.
        campaign: The stored campaign, or ``None`` if it is not stored.
        revenue: The revenue credited to it, per currency.

    Returns:
        Its [CampaignReturn][relcore.marketing.attribution_report.CampaignReturn];
        the rule for a ``None`` ROI is stated in [relcore.marketing.attribution_report][].

    Example:
        >>> from decimal import Decimal
        >>> from uuid import UUID
        >>> from relcore.marketing import Campaign
        >>> spring = Campaign(name="Spring", channel="email", actual_cost="80.00", currency="EUR")
        >>> campaign_return(spring.id, spring, {"EUR": Decimal("100.00")}).roi
        Decimal('0.25')
        >>> campaign_return(spring.id, spring, {"EUR": Decimal("100.00"), "USD": Decimal("5.00")}).roi is None
        True
    """
    if campaign is None or campaign.currency is None:
        return CampaignReturn(campaign_id, None, None, None, None)
    own = campaign.currency
    earned = revenue.get(own, from_minor_units(0, own))
    cost = campaign.actual_cost
    foreign = any(amount for currency, amount in revenue.items() if currency != own)
    ratio = None if cost is None or foreign else roi(earned, cost)
    return CampaignReturn(campaign_id, own, cost, earned, ratio)


@attrs.define
class _Row:
    revenue: Decimal = Decimal(0)
    orders: int = 0
    touches: int = 0


def summarise(
    credits: Iterable[Credit],
    campaigns: Mapping[UUID, Campaign],
    *,
    requested: Iterable[UUID] = (),
    model: AttributionModel,
    start: datetime,
    end: datetime,
    lookback: timedelta,
    half_life: timedelta | None = None,
) -> AttributionReport:
    """Add up the credits of many orders into a report.

    Args:
        credits: The credits of every order, as
            [attribute][relcore.marketing.attribution.attribute] gives them:
            an order's credits one after the other (read once, so a stream will do).
        campaigns: The stored campaigns, by id, to find the cost of each
            campaign reported; a campaign not in it is reported as not stored.
        requested: Campaigns to report a return for even if nothing was
            credited to them (every campaign credited is reported).
        model: The model the credits were made with.
        start: The start of the period.
        end: The end of the period.
        lookback: The look-back window used.
        half_life: The half-life used by ``time_decay``.

    Returns:
        The [AttributionReport][relcore.marketing.attribution_report.AttributionReport].

    Raises:
        ValidationError: If an item of ``credits`` is not a [Credit][relcore.marketing.attribution.Credit].
    """
    rows: dict[tuple[UUID, str], _Row] = {}
    revenue: dict[str, Decimal] = {}
    unattributed: dict[str, Decimal] = {}
    orders = 0
    previous: UUID | None = None
    for index, credit in enumerate(credits):
        if not isinstance(credit, Credit):
            raise check.fail(f"credits[{index}]", f"expected a Credit, got {check.kind(credit)}")
        if credit.transaction_id != previous:  # an order's credits come together
            orders, previous = orders + 1, credit.transaction_id
        revenue[credit.currency] = revenue.get(credit.currency, Decimal(0)) + credit.amount
        if credit.campaign_id is None:
            unattributed[credit.currency] = unattributed.get(credit.currency, Decimal(0)) + credit.amount
            continue
        unattributed.setdefault(credit.currency, from_minor_units(0, credit.currency))
        row = rows.setdefault((credit.campaign_id, credit.currency), _Row())
        row.revenue += credit.amount
        row.orders += 1
        row.touches += credit.touches
    per_campaign: dict[UUID, dict[str, Decimal]] = {campaign: {} for campaign in requested}
    for (campaign, currency), row in rows.items():
        per_campaign.setdefault(campaign, {})[currency] = row.revenue
    return AttributionReport(
        model=model,
        start=start,
        end=end,
        lookback=lookback,
        half_life=half_life,
        orders=orders,
        revenue=dict(sorted(revenue.items())),
        unattributed=dict(sorted(unattributed.items())),
        campaigns=tuple(
            CampaignRevenue(campaign, currency, row.revenue, row.orders, row.touches)
            for (campaign, currency), row in sorted(
                rows.items(), key=lambda item: (item[0][0].int, item[0][1])
            )
        ),
        returns=tuple(
            campaign_return(campaign, campaigns.get(campaign), per_campaign[campaign])
            for campaign in sorted(per_campaign, key=lambda c: c.int)
        ),
    )
