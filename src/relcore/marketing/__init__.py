"""Marketing: campaigns, audiences and scoring plans.

Pure parts for now: the [scoring plan][relcore.marketing.ScoringPlan] model and its
in-memory evaluation ([`score`][relcore.marketing.score],
[`explain_score`][relcore.marketing.explain_score]).
"""

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

__all__ = [
    "MAX_GROUPS",
    "MAX_POINTS",
    "MAX_RULES",
    "MAX_THRESHOLDS",
    "Decay",
    "GroupScore",
    "RuleScore",
    "Score",
    "ScoreExplanation",
    "ScoreKind",
    "ScoringGroup",
    "ScoringPlan",
    "ScoringRule",
    "crossed",
    "explain_score",
    "score",
    "threshold_label",
]
