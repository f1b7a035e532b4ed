"""Marketing (context ``relcore.marketing``): the pure parts of campaigns so far.

The [Campaign][relcore.marketing.Campaign] entity, the statuses its members go
through and how they move ([advance_status][relcore.marketing.advance_status]),
the deterministic variant assignment ([assign][relcore.marketing.assign],
[split_test][relcore.marketing.split_test]), multi-touch attribution of orders
to campaigns ([attribute][relcore.marketing.attribution.attribute]; over stored
orders, with each campaign's ROI, through ``crm.campaigns.attribute``), campaign
statistics (rates with Wilson intervals, the two-proportion test, uplift, ROI),
and scoring plans evaluated in memory ([score][relcore.marketing.score],
[explain_score][relcore.marketing.explain_score]).
Campaigns, the customers each considered ([CampaignMember][relcore.marketing.CampaignMember],
left out with an [Exclusion][relcore.marketing.Exclusion] or not) and the suppression list
([Suppression][relcore.marketing.Suppression]) are stored; the facade namespace is
[`crm.campaigns`][relcore.marketing.api.Campaigns]. Audiences come next.
"""

from relcore.marketing.attribution import AttributionModel, Credit, Order, Touch, attribute, totals
from relcore.marketing.attribution_report import AttributionReport, CampaignReturn, CampaignRevenue
from relcore.marketing.decisions import CAMPAIGN_MOVES, add_campaign, change_status
from relcore.marketing.members import MAX_ADDRESS, CampaignMember, Exclusion
from relcore.marketing.model import (
    MAX_CAP_WINDOW,
    Campaign,
    CampaignAdded,
    CampaignStatus,
    CampaignStatusChanged,
    FrequencyCap,
)
from relcore.marketing.scoring import (
    MAX_GROUPS,
    MAX_POINTS,
    MAX_RULES,
    MAX_THRESHOLDS,
    Decay,
    ScoreKind,
    ScoringGroup,
    ScoringPlan,
    ScoringRule,
    crossed,
    threshold_label,
)
from relcore.marketing.scoring_explain import (
    GroupScore,
    RuleScore,
    Score,
    ScoreExplanation,
    explain_score,
    score,
)
from relcore.marketing.statistics import Rate, Uplift, ZTest, cost_per, roi, two_proportion_test, uplift
from relcore.marketing.statuses import (
    DEFAULT_MEMBER_STATUSES,
    MAX_MEMBER_STATUSES,
    MemberStatus,
    advance_status,
    check_member_statuses,
)
from relcore.marketing.suppressions import Suppression, SuppressionKind, address_domain, normalise_suppressed
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
    "MAX_ADDRESS",
    "DEFAULT_MEMBER_STATUSES",
    "MAX_CAP_WINDOW",
    "MAX_GROUPS",
    "MAX_MEMBER_STATUSES",
    "MAX_POINTS",
    "MAX_RULES",
    "MAX_SEED",
    "MAX_THRESHOLDS",
    "MAX_VARIANTS",
    "AttributionModel",
    "AttributionReport",
    "Campaign",
    "CampaignAdded",
    "CampaignMember",
    "CampaignReturn",
    "CampaignRevenue",
    "CampaignStatus",
    "CampaignStatusChanged",
    "Credit",
    "Decay",
    "Exclusion",
    "FrequencyCap",
    "GroupScore",
    "MemberStatus",
    "Order",
    "Rate",
    "RuleScore",
    "Score",
    "ScoreExplanation",
    "ScoreKind",
    "ScoringGroup",
    "ScoringPlan",
    "ScoringRule",
    "SplitTest",
    "Suppression",
    "SuppressionKind",
    "Touch",
    "Uplift",
    "Variant",
    "ZTest",
    "add_campaign",
    "address_domain",
    "advance_status",
    "assign",
    "attribute",
    "change_status",
    "check_member_statuses",
    "check_seed",
    "check_variants",
    "cost_per",
    "crossed",
    "explain_score",
    "normalise_suppressed",
    "roi",
    "score",
    "split_test",
    "threshold_label",
    "totals",
    "two_proportion_test",
    "uplift",
]
