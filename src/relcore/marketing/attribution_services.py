"""The attribution use case: stored orders credited to stored campaign touches, with each campaign's ROI.

[attribute_stored][relcore.marketing.attribution_services.attribute_stored]
streams the journeys of the
[campaign_journeys][relcore.marketing.attribution_ports.JourneySource] port
customer by customer through the pure
[attribute_checked][relcore.marketing.attribution.attribute_checked] (the
settings are checked once, the stored values were checked when stored), and adds the credits up
with [summarise][relcore.marketing.attribution_report.summarise]; only one
batch of customers and the running totals are held at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from uuid import UUID

from relcore.marketing.attribution import AttributionModel, Credit, attribute_checked, check_settings
from relcore.marketing.attribution_ports import JourneyQuery
from relcore.marketing.attribution_report import AttributionReport, summarise
from relcore.marketing.model import Campaign
from relcore.marketing.ports import MarketingWork

__all__ = ["attribute_stored"]

_log = logging.getLogger(__name__)
_PAGE = 500


def _campaigns(uow: MarketingWork, wanted: frozenset[UUID] | None) -> dict[UUID, Campaign]:
    """The campaigns asked for (each must be stored), or every stored campaign."""
    if wanted is not None:
        return {campaign: uow.campaigns.get(campaign) for campaign in sorted(wanted, key=lambda c: c.int)}
    found: dict[UUID, Campaign] = {}
    after: UUID | None = None
    while True:
        page = uow.campaigns.list(after=after, limit=_PAGE)
        found.update((campaign.id, campaign) for campaign in page.items)
        if page.next_after is None:
            return found
        after = page.next_after


def attribute_stored(
    uow: MarketingWork,
    query: JourneyQuery,
    *,
    model: AttributionModel | str,
    half_life: timedelta | None = None,
    batch: int = 500,
) -> AttributionReport:
    """Attribute the revenue of the stored orders of a period to the stored campaign touches.

    Args:
        uow: The unit of work.
        query: The period, the look-back window, and which touches count.
        model: The attribution model.
        half_life: The half-life of ``time_decay`` (required there, refused elsewhere).
        batch: How many customers to read from storage at a time.

    Returns:
        The [AttributionReport][relcore.marketing.attribution_report.AttributionReport],
        with a return for every campaign credited and every campaign of
        ``query.campaign_ids``.

    Raises:
        ValidationError: The model, the look-back window or the half-life is refused
            by [check_settings][relcore.marketing.attribution.check_settings].
        NotFoundError: A campaign of ``query.campaign_ids`` is not stored.
    """
    chosen, lookback, half = check_settings(model, query.lookback, half_life)  # once: journeys go unchecked
    campaigns = _campaigns(uow, query.campaign_ids)

    def credits() -> Iterator[Credit]:
        for journey in uow.campaign_journeys.journeys(query, batch=batch):
            yield from attribute_checked(
                journey.orders, journey.touches, model=chosen, lookback=lookback, half_life=half
            )

    report = summarise(
        credits(),
        campaigns,
        requested=() if query.campaign_ids is None else query.campaign_ids,
        model=chosen,
        start=query.start,
        end=query.end,
        lookback=lookback,
        half_life=half,
    )
    _log.debug("attributed %d orders to %d campaigns", report.orders, len(report.returns))
    return report
