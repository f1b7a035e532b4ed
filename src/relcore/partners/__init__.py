"""Partners (collaborative CRM): partner profiles, partners on deals, deal registration and reports.

The names of its model, re-exported; its facade namespace is
[`crm.partners`][relcore.partners.api.Partners], its ports and use cases are
in ``ports`` and ``services``, its rules as pure functions in
[relcore.partners.decisions][] and its reports in [relcore.partners.reports][].
"""

from relcore.partners.decisions import DEFAULT_WINDOW, choose_partner, eligible_partners
from relcore.partners.model import (
    DealRegistered,
    OpportunityPartner,
    PartnerAdded,
    PartnerProfile,
    PartnerRole,
    PrimaryPartnerChanged,
    RegistrationDecided,
    RegistrationStatus,
)
from relcore.partners.reports import Attribution, Commission, CommissionDue, PartnerDeal, PipelineLine

__all__ = [
    "DEFAULT_WINDOW",
    "Attribution",
    "Commission",
    "CommissionDue",
    "DealRegistered",
    "OpportunityPartner",
    "PartnerAdded",
    "PartnerDeal",
    "PartnerProfile",
    "PartnerRole",
    "PipelineLine",
    "PrimaryPartnerChanged",
    "RegistrationDecided",
    "RegistrationStatus",
    "choose_partner",
    "eligible_partners",
]
