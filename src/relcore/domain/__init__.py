"""Every entity, value object, vocabulary and domain event of relcore, in one import.

Each lives in its context's ``model`` module (``relcore.customers.model``,
``relcore.consent.model``, ``relcore.activity.model``, ``relcore.segments.model``,
``relcore.value.model``, ``relcore.sales.model``, ``relcore.sales.pipelines``);
this module gathers them for applications that
would rather import from one place. relcore's own code imports from the contexts.
"""

from relcore._kernel.events import DomainEvent
from relcore._kernel.money import CURRENCIES
from relcore.activity.model import (
    Direction,
    TimelineEntry,
    Touchpoint,
    TouchpointKind,
    TouchpointRecorded,
    TouchpointsImported,
    Transaction,
    TransactionKind,
    TransactionRecorded,
    TransactionsImported,
)
from relcore.consent.model import (
    ConsentChanged,
    ConsentRecord,
    ConsentStatus,
    Purpose,
    current_consent,
    may_contact,
)
from relcore.customers.contacts import Contact, ContactPoint, PostalAddress, normalize_email, normalize_phone
from relcore.customers.model import (
    Channel,
    ContactAdded,
    ContactPointKind,
    ContactUpdated,
    Customer,
    CustomerCreated,
    CustomersImported,
    CustomerUpdated,
    Identity,
    LifecycleStage,
    PartyType,
    RelationshipKind,
)
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
from relcore.segments.model import SegmentEntered, SegmentLeft
from relcore.value.model import METRIC_TYPES, CustomerMetrics, ValueRun

__all__ = [
    "CURRENCIES",
    "METRIC_TYPES",
    "ChangeKind",
    "Channel",
    "ConsentChanged",
    "ConsentRecord",
    "ConsentStatus",
    "Contact",
    "ContactAdded",
    "ContactPoint",
    "ContactPointKind",
    "ContactUpdated",
    "Customer",
    "CustomerCreated",
    "CustomerMetrics",
    "CustomerUpdated",
    "CustomersImported",
    "Direction",
    "DomainEvent",
    "ForecastCategory",
    "Identity",
    "LifecycleStage",
    "Opportunity",
    "OpportunityChange",
    "OpportunityLost",
    "OpportunityOpened",
    "OpportunityReopened",
    "OpportunityStageChanged",
    "OpportunityUpdated",
    "OpportunityWon",
    "PartyType",
    "Pipeline",
    "PostalAddress",
    "Purpose",
    "RelationshipKind",
    "SegmentEntered",
    "SegmentLeft",
    "Stage",
    "StageOutcome",
    "TimelineEntry",
    "Touchpoint",
    "TouchpointKind",
    "TouchpointRecorded",
    "TouchpointsImported",
    "Transaction",
    "TransactionKind",
    "TransactionRecorded",
    "TransactionsImported",
    "ValueRun",
    "current_consent",
    "may_contact",
    "normalize_email",
    "normalize_phone",
]
