"""Use cases over the storage ports, and the event bus."""

from relcore.services.events import EventBus, Handler
from relcore.services.use_cases import (
    add_contact,
    add_customer,
    import_touchpoints,
    import_transactions,
    may_contact,
    record_consent,
    record_touchpoint,
    record_transaction,
    save_contact,
    save_customer,
)

__all__ = [
    "EventBus",
    "Handler",
    "add_contact",
    "add_customer",
    "import_touchpoints",
    "import_transactions",
    "may_contact",
    "record_consent",
    "record_touchpoint",
    "record_transaction",
    "save_contact",
    "save_customer",
]
