"""The closed vocabularies of the domain.

Every enum is a `StrEnum`, so members compare equal to their
string values and fields typed with them also accept those strings.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "Channel",
    "ConsentStatus",
    "ContactPointKind",
    "Direction",
    "LifecycleStage",
    "PartyType",
    "Purpose",
    "RelationshipKind",
    "TouchpointKind",
    "TransactionKind",
]


class PartyType(StrEnum):
    """Whether a customer is a person (B2C) or an organization (B2B)."""

    PERSON = "person"
    ORGANIZATION = "organization"


class LifecycleStage(StrEnum):
    """Where a customer stands in the relationship, from first contact to churn."""

    SUBSCRIBER = "subscriber"
    LEAD = "lead"
    QUALIFIED = "qualified"
    OPPORTUNITY = "opportunity"
    CUSTOMER = "customer"
    EVANGELIST = "evangelist"
    CHURNED = "churned"
    OTHER = "other"


class RelationshipKind(StrEnum):
    """What the party is to us (the "XRM" view: not only customers)."""

    CUSTOMER = "customer"
    PROSPECT = "prospect"
    PARTNER = "partner"
    SUPPLIER = "supplier"
    RESELLER = "reseller"
    INVESTOR = "investor"
    EMPLOYEE = "employee"
    OTHER = "other"


class Channel(StrEnum):
    """A medium through which an interaction happens."""

    EMAIL = "email"
    PHONE = "phone"
    SMS = "sms"
    MMS = "mms"
    CHAT = "chat"
    WEB = "web"
    MOBILE_APP = "mobile_app"
    SOCIAL = "social"
    IN_PERSON = "in_person"
    POSTAL = "postal"
    FAX = "fax"
    VOICE_SERVER = "voice_server"
    KIOSK = "kiosk"
    OTHER = "other"


class Direction(StrEnum):
    """Who started an interaction: the customer (inbound) or we (outbound)."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class TouchpointKind(StrEnum):
    """What sort of interaction a touchpoint is."""

    MESSAGE = "message"
    CALL = "call"
    MEETING = "meeting"
    VISIT = "visit"
    WEB_VISIT = "web_visit"
    PAGE_VIEW = "page_view"
    OPEN = "open"
    CLICK = "click"
    COMPLAINT = "complaint"
    REQUEST = "request"
    FEEDBACK = "feedback"
    NOTE = "note"
    OTHER = "other"


class TransactionKind(StrEnum):
    """What a money record is. Only orders count as purchases in value metrics."""

    ORDER = "order"
    REFUND = "refund"
    INVOICE = "invoice"
    QUOTE = "quote"


class ContactPointKind(StrEnum):
    """How a contact can be reached."""

    EMAIL = "email"
    PHONE = "phone"
    POSTAL = "postal"
    SOCIAL = "social"


class Purpose(StrEnum):
    """What a consent is for."""

    MARKETING = "marketing"
    ANALYTICS = "analytics"
    SERVICE = "service"
    PROFILING = "profiling"
    THIRD_PARTY = "third_party"
    RESEARCH = "research"


class ConsentStatus(StrEnum):
    """The answer a consent record carries."""

    GRANTED = "granted"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"
