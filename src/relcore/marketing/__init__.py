"""Marketing (context `relcore.marketing`): campaigns' pure parts.

Multi-touch attribution of orders to campaigns
([attribute][relcore.marketing.attribution.attribute]) and campaign
statistics (rates with Wilson intervals, the two-proportion test, uplift,
ROI). Storage and the ``crm.campaigns`` namespace come later.
"""

from __future__ import annotations

from relcore.marketing.attribution import AttributionModel, Credit, Order, Touch, attribute, totals
from relcore.marketing.statistics import Rate, Uplift, ZTest, cost_per, roi, two_proportion_test, uplift

__all__ = [
    "AttributionModel",
    "Credit",
    "Order",
    "Rate",
    "Touch",
    "Uplift",
    "ZTest",
    "attribute",
    "cost_per",
    "roi",
    "totals",
    "two_proportion_test",
    "uplift",
]
