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
[`crm.campaigns`][relcore.marketing.api.Campaigns]. Campaign touchpoints move members'
statuses through a [ResponseMapping][relcore.marketing.ResponseMapping]
([respond][relcore.marketing.respond]), and [CampaignResults][relcore.marketing.CampaignResults]
count what happened by a moment. Audiences come next.
"""

from relcore.marketing.attribution import AttributionModel, Credit, Order, Touch, attribute, totals
from relcore.marketing.attribution_report import AttributionReport, CampaignReturn, CampaignRevenue
from relcore.marketing.audiences import (
    ADDRESS_KINDS,
    Audience,
    Candidate,
    Reachable,
    Screening,
    SendCheck,
    address_kind,
    screen,
)
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
from relcore.marketing.responses import (
    DEFAULT_RESPONSES,
    MAX_RESPONSE_RULES,
    AppliedResponses,
    CampaignMemberResponded,
    CampaignMemberUnsubscribed,
    RecordedResponse,
    ResponseMapping,
    ResponseRule,
    TallyQuery,
    TallyRow,
    respond,
)
from relcore.marketing.results import METRICS, CampaignResults, Metric, VariantResults, WinnerSent, summarise
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
from relcore.marketing.scoring_store import (
    CalibrationBand,
    Crossing,
    CustomerScore,
    Outcome,
    RefreshResult,
    ScoreThresholdCrossed,
    threshold_move,
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
    "ADDRESS_KINDS",
    "Audience",
    "Candidate",
    "Reachable",
    "Screening",
    "SendCheck",
    "address_kind",
    "screen",
    "CalibrationBand",
    "Crossing",
    "CustomerScore",
    "Outcome",
    "RefreshResult",
    "ScoreThresholdCrossed",
    "threshold_move",
    "CAMPAIGN_MOVES",
    "DEFAULT_MEMBER_STATUSES",
    "DEFAULT_RESPONSES",
    "MAX_ADDRESS",
    "MAX_CAP_WINDOW",
    "MAX_GROUPS",
    "MAX_MEMBER_STATUSES",
    "MAX_POINTS",
    "MAX_RESPONSE_RULES",
    "MAX_RULES",
    "MAX_SEED",
    "MAX_THRESHOLDS",
    "MAX_VARIANTS",
    "METRICS",
    "AppliedResponses",
    "AttributionModel",
    "AttributionReport",
    "Campaign",
    "CampaignAdded",
    "CampaignMember",
    "CampaignMemberResponded",
    "CampaignMemberUnsubscribed",
    "CampaignResults",
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
    "Metric",
    "Order",
    "Rate",
    "RecordedResponse",
    "ResponseMapping",
    "ResponseRule",
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
    "TallyQuery",
    "TallyRow",
    "Touch",
    "Uplift",
    "Variant",
    "VariantResults",
    "WinnerSent",
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
    "respond",
    "roi",
    "score",
    "split_test",
    "summarise",
    "threshold_label",
    "totals",
    "two_proportion_test",
    "uplift",
]
