"""The partners namespace of the facade: ``crm.partners``."""

from __future__ import annotations

import builtins
from datetime import date, datetime, timedelta
from decimal import Decimal

from relcore._kernel import checks as check
from relcore._kernel.arguments import check_flag, check_id, check_optional_datetime
from relcore._kernel.namespace import Namespace
from relcore.ids import CustomerId, OpportunityId
from relcore.partners import reports, services
from relcore.partners.decisions import DEFAULT_WINDOW, check_seed, check_window
from relcore.partners.model import (
    OpportunityPartner,
    PartnerProfile,
    PartnerRole,
    RegistrationStatus,
    check_rate,
)
from relcore.partners.ports import PartnersWork
from relcore.partners.reports import Commission, CommissionDue, PartnerDeal, PipelineLine
from relcore.sales.model import check_date

__all__ = ["Partners"]


def _version(version: object) -> int | None:
    return None if version is None else check.positive_int("version", version, minimum=1)


def _links(uow: PartnersWork) -> builtins.list[OpportunityPartner]:
    found: builtins.list[OpportunityPartner] = []
    after = None
    while True:
        page = uow.opportunity_partners.list(after=after, limit=1000)
        found += page.items
        if page.next_after is None:
            return found
        after = page.next_after


class Partners(Namespace[PartnersWork]):
    """Partners on deals, deal registration, partner reports and assignment: ``crm.partners``.

    Example:
        >>> from datetime import UTC, date, datetime
        >>> from relcore import CRM, Customer
        >>> from relcore.partners import PartnerProfile
        >>> from relcore.sales import Opportunity, Pipeline
        >>> crm = CRM.in_memory()
        >>> acme = crm.customers.add(Customer.organization("Acme", country="FR"))
        >>> shop = crm.customers.add(Customer.organization("Reseller SA", roles=["reseller"]))
        >>> _ = crm.partners.add_profile(PartnerProfile(
        ...     customer_id=shop.id, commission_rate="0.1", territories=["FR"], active_from=date(2026, 1, 1)))
        >>> direct = crm.sales.add_pipeline(
        ...     Pipeline.of("Direct", [("qualify", "Qualify", "0.25")], currency="EUR"))
        >>> deal = crm.sales.open(Opportunity(customer_id=acme.id, pipeline_id=direct.id, stage="qualify",
        ...                                   name="50 seats", amount="12000", currency="EUR",
        ...                                   created_at=datetime(2026, 1, 5, tzinfo=UTC)))
        >>> link = crm.partners.add(deal.id, shop.id, "reseller", primary=True, sourced=True,
        ...                         at=datetime(2026, 1, 6, tzinfo=UTC))
        >>> deal = crm.sales.win(deal.id, at=datetime(2026, 2, 2, tzinfo=UTC))
        >>> due = crm.partners.commissions(
        ...     start=datetime(2026, 1, 1, tzinfo=UTC), end=datetime(2026, 3, 1, tzinfo=UTC))
        >>> print(*(f"{c.amount} {c.currency}" for c in due))
        1200.00 EUR

    Changing which partner is primary, registering a deal and deciding a
    registration also save the deal (its version increases): pass
    ``version=`` (the deal's version you read) so that two writers proposing
    two primaries at once cannot both win: one gets
    [ConflictError][relcore.errors.ConflictError].
    """

    __slots__ = ()

    # -- profiles ----------------------------------------------------------------

    def add_profile(self, profile: PartnerProfile) -> PartnerProfile:
        """Store a new partner profile; return it.

        Raises:
            NotFoundError: The customer does not exist.
            ValidationError: The customer's roles include neither partner nor reseller (``customer_id``).
            ConflictError: The customer has a profile already.
        """
        return self._write(lambda uow: services.add_profile(uow, profile))

    def save_profile(self, profile: PartnerProfile) -> PartnerProfile:
        """Store a changed profile (version-checked); return the stored one.

        Raises:
            ConflictError: Stale version.
            NotFoundError: It was never added.
        """
        return self._write(lambda uow: services.save_profile(uow, profile))

    def profile(self, partner_id: CustomerId) -> PartnerProfile | None:
        """The partner's profile, if it has one."""
        wanted = check_id("partner_id", partner_id)
        return self._read(lambda uow: uow.partner_profiles.find(wanted))

    # -- partners on deals -------------------------------------------------------

    def add(
        self,
        opportunity_id: OpportunityId,
        partner_id: CustomerId,
        role: PartnerRole | str,
        *,
        primary: bool = False,
        sourced: bool = False,
        commission_rate: Decimal | str | int | None = None,
        registered_at: datetime | None = None,
        at: datetime | None = None,
        window: timedelta = DEFAULT_WINDOW,
        version: int | None = None,
    ) -> OpportunityPartner:
        """Put a partner on a deal; return the stored link.

        Args:
            opportunity_id: The deal.
            partner_id: The partner: a customer with a partner profile.
            role: Reseller, referrer, influencer, distributor or implementer.
            primary: Make it the deal's primary partner (the previous one stops being it).
            sourced: The partner brought the deal (else it only influences it).
            commission_rate: A rate for this deal, overriding the profile's (0 to 1, four places).
            registered_at: When the partner registered the deal: the link is then a
                ``proposed`` registration.
            at: When the partner was put on the deal (default now).
            window: How long a registration of a customer's deal keeps other partners from
                registering any deal of that customer (default 90 days).
            version: The deal's version you read; a deal changed since raises ``ConflictError``.

        Raises:
            NotFoundError: The deal or the partner does not exist.
            ValidationError: A bad argument, a partner without profile (``partner_id``) or the
                deal's own customer.
            ConflictError: The partner is on the deal already; another partner registered a deal of
                the same customer less than ``window`` before or after (still proposed or accepted);
                or the deal changed.
        """
        deal_id = check_id("opportunity_id", opportunity_id)
        who = check_id("partner_id", partner_id)
        kind = check.check_enum(PartnerRole, "role", role)
        is_primary, is_sourced = check_flag("primary", primary), check_flag("sourced", sourced)
        rate = None if commission_rate is None else check_rate("commission_rate", commission_rate)
        registered = check_optional_datetime("registered_at", registered_at)
        moment = self._as_of(at, "at")
        span = check_window("window", window)
        expected = _version(version)
        return self._write(
            lambda uow: services.add_partner(
                uow,
                deal_id,
                who,
                kind,
                at=moment,
                primary=is_primary,
                sourced=is_sourced,
                commission_rate=rate,
                registered_at=registered,
                window=span,
                version=expected,
            )
        )

    def on_deal(self, opportunity_id: OpportunityId) -> builtins.list[OpportunityPartner]:
        """The partners on a deal, by partner id (none for an unknown deal)."""
        wanted = check_id("opportunity_id", opportunity_id)
        return self._read(lambda uow: uow.opportunity_partners.for_opportunity(wanted))

    def set_primary(
        self, opportunity_id: OpportunityId, partner_id: CustomerId | None, *, version: int | None = None
    ) -> builtins.list[OpportunityPartner]:
        """Make a partner on the deal its primary one (``None``: no primary); return the deal's partners.

        Raises:
            ValidationError: The partner is not on the deal, or its registration was declined.
            ConflictError: The deal changed since ``version``, or another writer changed it meanwhile.
        """
        deal_id = check_id("opportunity_id", opportunity_id)
        who = None if partner_id is None else check_id("partner_id", partner_id)
        expected = _version(version)
        return self._write(lambda uow: services.set_primary(uow, deal_id, who, expected))

    def decide(
        self,
        opportunity_id: OpportunityId,
        partner_id: CustomerId,
        status: RegistrationStatus | str,
        *,
        at: datetime | None = None,
        version: int | None = None,
    ) -> OpportunityPartner:
        """Accept or decline a partner's proposed registration of a deal; return the link.

        A declined partner stops being the primary one, holds the customer no
        more, and is never assigned the deal.
        """
        deal_id = check_id("opportunity_id", opportunity_id)
        who = check_id("partner_id", partner_id)
        decided = check.check_enum(RegistrationStatus, "status", status)
        moment = self._as_of(at, "at")
        expected = _version(version)
        return self._write(
            lambda uow: services.decide_registration(uow, deal_id, who, decided, at=moment, version=expected)
        )

    def assign(
        self,
        opportunity_id: OpportunityId,
        *,
        seed: int,
        on: date,
        role: PartnerRole | str = PartnerRole.RESELLER,
        at: datetime | None = None,
        window: timedelta = DEFAULT_WINDOW,
    ) -> OpportunityPartner | None:
        """Put a partner chosen at random, weighted, on the deal; ``None`` when no partner is eligible.

        Eligible: a profile active on ``on``, a weight above zero, the deal's
        customer's country among its territories, not on the deal already.
        The choice depends only on ``seed`` and the eligible profiles
        ([choose_partner][relcore.partners.decisions.choose_partner]).
        """
        deal_id = check_id("opportunity_id", opportunity_id)
        number = check_seed("seed", seed)
        day = check_date("on", on)
        kind = check.check_enum(PartnerRole, "role", role)
        moment = self._as_of(at, "at")
        span = check_window("window", window)
        if day is None:
            raise check.fail("on", "expected a date")
        return self._write(
            lambda uow: services.assign_partner(
                uow, deal_id, seed=number, on=day, role=kind, at=moment, window=span
            )
        )

    # -- reports -----------------------------------------------------------------

    def pipeline(
        self, *, start: datetime, end: datetime, as_of: datetime | None = None
    ) -> builtins.list[PipelineLine]:
        """Partner-sourced and influenced pipeline (open and weighted) and won revenue, per currency.

        See [partner_pipeline][relcore.partners.reports.partner_pipeline]:
        open deals as they stood at ``as_of`` (default now), won revenue of the
        deals won from ``start`` to ``end`` (excluded), per partner and in
        total, where the sourced total counts each deal once.
        """
        first, last, moment = self._window(start, end, as_of)

        def read(uow: PartnersWork) -> builtins.list[PipelineLine]:
            links = _links(uow)
            deals = services.deals_as_of(uow, links, moment)
            return reports.partner_pipeline(deals, links, as_of=moment, start=first, end=last)

        return self._read(read)

    def commissions(
        self, *, start: datetime, end: datetime, as_of: datetime | None = None
    ) -> builtins.list[Commission]:
        """The commission of every partner on every deal won from ``start`` to ``end`` (excluded).

        See [commissions][relcore.partners.reports.commissions]: won amount x
        (the link's rate, else the profile's), rounded per currency.
        """
        first, last, moment = self._window(start, end, as_of)

        def read(uow: PartnersWork) -> builtins.list[Commission]:
            links = _links(uow)
            deals = services.deals_as_of(uow, links, moment)
            profiles = {p: uow.partner_profiles.find(p) for p in {link.partner_id for link in links}}
            known = {p: profile for p, profile in profiles.items() if profile is not None}
            return reports.commissions(deals, links, known, as_of=moment, start=first, end=last)

        return self._read(read)

    def commissions_due(
        self, *, start: datetime, end: datetime, as_of: datetime | None = None
    ) -> builtins.list[CommissionDue]:
        """Each partner's commissions from ``start`` to ``end`` added up per currency."""
        return reports.commissions_due(self.commissions(start=start, end=end, as_of=as_of))

    def partner_view(self, partner_id: CustomerId) -> builtins.list[PartnerDeal]:
        """The partner's own deals with partner-safe fields only, in link id order.

        The deal's name, stage, outcome, amount and close date, and the
        partner's own role, flags and registration status; never the
        customer, its contacts, notes, attributes, or the other partners.
        """
        wanted = check_id("partner_id", partner_id)

        def read(uow: PartnersWork) -> builtins.list[PartnerDeal]:
            links = uow.opportunity_partners.for_partner(wanted)
            return [reports.partner_deal(uow.opportunities.get(link.opportunity_id), link) for link in links]

        return self._read(read)

    def _window(self, start: object, end: object, as_of: object) -> tuple[datetime, datetime, datetime]:
        first = check.check_datetime("start", start)
        last = check.check_datetime("end", end)
        if last <= first:
            raise check.fail("end", "must be later than start")
        return first, last, self._as_of(as_of)
