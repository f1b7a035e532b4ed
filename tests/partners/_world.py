"""A small book of deals with partners, shared by the partners tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from relcore import CRM, Customer
from relcore.partners import PartnerProfile
from relcore.sales import Opportunity, Pipeline

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def day(n: float) -> datetime:
    """``n`` days after `T0`."""
    return T0 + timedelta(days=n)


def direct(crm: CRM, currency: str = "EUR", name: str = "Direct") -> Pipeline:
    """qualify 10 %, propose 40 %, negotiate 70 %, then won and lost."""
    stages = [("qualify", "Qualify", "0.1"), ("propose", "Propose", "0.4"), ("negotiate", "Negotiate", "0.7")]
    return crm.sales.add_pipeline(Pipeline.of(name, stages, currency=currency, created_at=T0))


def reseller(crm: CRM, name: str, rate: str = "0.1", **fields: object) -> Customer:
    """A stored reseller with a stored profile (weight 1, France, active from 2026-01-01 unless told)."""
    who = crm.customers.add(Customer.organization(name, roles=["reseller"], created_at=T0))
    fields.setdefault("territories", ["FR"])
    fields.setdefault("active_from", date(2026, 1, 1))
    crm.partners.add_profile(
        PartnerProfile(customer_id=who.id, commission_rate=rate, created_at=T0, **fields)
    )
    return who


def open_deal(
    crm: CRM, customer: Customer, pipeline: Pipeline, amount: str | None, **fields: object
) -> Opportunity:
    """A deal opened at `T0` in ``qualify`` (unless told) with ``amount`` in the pipeline's currency."""
    fields.setdefault("stage", "qualify")
    fields.setdefault("name", "Annual licence")
    fields.setdefault("created_at", T0)
    currency = fields.pop("currency", pipeline.currency if amount is not None else None)
    deal = Opportunity(
        customer_id=customer.id,
        pipeline_id=pipeline.id,
        amount=amount,
        currency=currency,
        **fields,
    )
    return crm.sales.open(deal)
