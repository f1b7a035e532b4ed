"""Marketing (context ``relcore.marketing``): the pure parts of campaigns so far.

The [Campaign][relcore.marketing.Campaign] entity, the statuses its members go
through and how they move ([advance_status][relcore.marketing.advance_status]),
the deterministic variant assignment ([assign][relcore.marketing.assign],
[split_test][relcore.marketing.split_test]), multi-touch attribution of orders
to campaigns ([attribute][relcore.marketing.attribution.attribute]) and campaign
statistics (rates with Wilson intervals, the two-proportion test, uplift, ROI).
Storage, audiences and the ``crm.campaigns`` namespace come next.
"""

from relcore.marketing.attribution import AttributionModel, Credit, Order, Touch, attribute, totals
from relcore.marketing.statistics import Rate, Uplift, ZTest, cost_per, roi, two_proportion_test, uplift
from relcore.marketing.decisions import CAMPAIGN_MOVES, add_campaign, change_status
from relcore.marketing.model import (
    MAX_CAP_WINDOW,
    Campaign,
    CampaignAdded,
    CampaignStatus,
    CampaignStatusChanged,
    FrequencyCap,
)
from relcore.marketing.statuses import (
    DEFAULT_MEMBER_STATUSES,
    MAX_MEMBER_STATUSES,
    MemberStatus,
    advance_status,
    check_member_statuses,
)
from relcore.marketing.variants import (
    MAX_SEED,
    MAX_VARIANTS,
    SplitTest,
    Variant,
    assign,
    check_seed,
    check_variants,
    split_test,
)

__all__ = [
    "CAMPAIGN_MOVES",
    "DEFAULT_MEMBER_STATUSES",
    "MAX_CAP_WINDOW",
    "MAX_MEMBER_STATUSES",
    "MAX_SEED",
    "MAX_VARIANTS",
    "AttributionModel",
    "Campaign",
    "CampaignAdded",
    "CampaignStatus",
    "CampaignStatusChanged",
    "Credit",
    "FrequencyCap",
    "MemberStatus",
    "Order",
    "Rate",
    "SplitTest",
    "Touch",
    "Uplift",
    "Variant",
    "ZTest",
    "add_campaign",
    "advance_status",
    "assign",
    "attribute",
    "change_status",
    "check_member_statuses",
    "check_seed",
    "check_variants",
    "cost_per",
    "roi",
    "split_test",
    "totals",
    "two_proportion_test",
    "uplift",
]
