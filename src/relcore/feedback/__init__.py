"""Feedback (collaborative CRM): survey answers (NPS, CSAT, CES, custom) and the satisfaction figures.

The names of its model and figures, re-exported; its facade namespace is
[`crm.feedback`][relcore.feedback.api.Feedback], its ports and use cases are in
``ports`` and ``services``, its formulas in [relcore.feedback.metrics][] and its
calendar periods in [relcore.feedback.periods][].
"""

from relcore.feedback.metrics import (
    DEFAULT_CONFIDENCE,
    DEFAULT_MIN_N,
    CesResult,
    CsatResult,
    Group,
    NpsResult,
    Tally,
)
from relcore.feedback.model import (
    FeedbackImported,
    FeedbackKind,
    FeedbackRecorded,
    FeedbackResponse,
    ImportReport,
    NpsClass,
    Scale,
    nps_class,
)
from relcore.feedback.periods import PERIODS

__all__ = [
    "DEFAULT_CONFIDENCE",
    "DEFAULT_MIN_N",
    "PERIODS",
    "CesResult",
    "CsatResult",
    "FeedbackImported",
    "FeedbackKind",
    "FeedbackRecorded",
    "FeedbackResponse",
    "Group",
    "ImportReport",
    "NpsClass",
    "NpsResult",
    "Scale",
    "Tally",
    "nps_class",
]
