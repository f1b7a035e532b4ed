"""Sales: pipelines with ordered stages, opportunities and their append-only history.

The names of its model, re-exported; its facade namespace is
[`crm.sales`][relcore.sales.api.Sales], its ports and use cases are in
``ports`` and ``services``, its operations as pure decisions in
[relcore.sales.decisions][].
"""

from relcore.sales.decisions import effective_category, effective_probability
from relcore.sales.model import (
    ChangeKind,
    Opportunity,
    OpportunityChange,
    OpportunityLost,
    OpportunityOpened,
    OpportunityReopened,
    OpportunityStageChanged,
    OpportunityUpdated,
    OpportunityWon,
)
from relcore.sales.pipelines import ForecastCategory, Pipeline, Stage, StageOutcome

__all__ = [
    "ChangeKind",
    "ForecastCategory",
    "Opportunity",
    "OpportunityChange",
    "OpportunityLost",
    "OpportunityOpened",
    "OpportunityReopened",
    "OpportunityStageChanged",
    "OpportunityUpdated",
    "OpportunityWon",
    "Pipeline",
    "Stage",
    "StageOutcome",
    "effective_category",
    "effective_probability",
]
