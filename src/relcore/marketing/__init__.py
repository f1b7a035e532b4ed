"""Marketing: campaigns, their member statuses and variants.

The pure parts of the marketing context: the [Campaign][relcore.marketing.Campaign]
entity, the statuses its members go through and how they move
([advance_status][relcore.marketing.advance_status]), and the deterministic
variant assignment ([assign][relcore.marketing.assign],
[split_test][relcore.marketing.split_test]).
"""

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
    "Campaign",
    "CampaignAdded",
    "CampaignStatus",
    "CampaignStatusChanged",
    "FrequencyCap",
    "MemberStatus",
    "SplitTest",
    "Variant",
    "add_campaign",
    "advance_status",
    "assign",
    "check_member_statuses",
    "check_seed",
    "change_status",
    "check_variants",
    "split_test",
]
