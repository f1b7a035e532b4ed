"""The customers namespace of the facade: ``crm.customers``."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import TYPE_CHECKING
from uuid import UUID

from relcore._kernel.arguments import check_id, check_instance, check_items, check_limit
from relcore._kernel.checks import check_region, positive_int
from relcore._kernel.namespace import Namespace, UnitOfWorkSource
from relcore.clock import Clock
from relcore.customers import services
from relcore.customers.contacts import Contact, normalize_email, normalize_phone
from relcore.customers.model import Customer, Identity
from relcore.customers.ports import CustomerEntry, CustomersWork, check_entry
from relcore.errors import FieldError, ValidationError
from relcore.ids import CustomerId
from relcore.storage.base import DEFAULT_CHUNK_SIZE, Page

if TYPE_CHECKING:
    from relcore.vocabularies import Vocabularies

__all__ = ["Customers"]


class Customers(Namespace[CustomersWork]):
    """Customers and their contacts: ``crm.customers``.

    Each method is one unit of work, committed before it returns; every
    argument is checked first, so a wrong one raises
    [ValidationError][relcore.errors.ValidationError] and leaves the store unchanged.
    That includes a stage, role or preferred channel the CRM's
    [vocabularies][relcore.crm.CRM.vocabularies] do not declare (the error
    names the field: ``customer.stage``, ``customer.roles[0]``).

    Example:
        >>> from relcore import CRM, Customer, Identity
        >>> crm = CRM.in_memory()
        >>> ada = crm.customers.add(Customer.person("Ada", identities=[Identity("shop", "A-1")]))
        >>> crm.customers.get(ada.id).name
        'Ada'
        >>> crm.customers.find("shop", "A-1") == ada
        True
        >>> crm.customers.find("shop", "A-2") is None
        True
    """

    __slots__ = ("_vocabularies",)

    def __init__(
        self,
        source: UnitOfWorkSource[CustomersWork],
        clock: Clock,
        vocabularies: Vocabularies,
    ) -> None:
        super().__init__(source, clock)
        self._vocabularies = vocabularies

    def _declared(self, path: str, customer: Customer) -> Customer:
        """``customer``, once its stage and roles are checked against the vocabularies."""
        self._vocabularies.stages.check(f"{path}.stage", customer.stage)
        self._vocabularies.roles.check_all(f"{path}.roles", customer.roles)
        return customer

    def _declared_contact(self, path: str, contact: Contact) -> Contact:
        """``contact``, once its preferred channel is checked against the vocabularies."""
        if contact.preferred_channel is not None:
            self._vocabularies.channels.check(f"{path}.preferred_channel", contact.preferred_channel)
        return contact

    def add(self, customer: Customer, contacts: Iterable[Contact] = ()) -> Customer:
        """Add a customer together with its contacts, atomically; return it.

        Raises:
            ConflictError: The customer's id or one of its identities is taken.
        """
        self._declared("customer", check_instance("customer", customer, Customer))
        people = list(
            check_items(
                "contacts",
                contacts,
                lambda path, c: self._declared_contact(path, check_instance(path, c, Contact)),
            )
        )
        self._write(lambda uow: services.add_customer(uow, customer, people))
        return customer

    def import_customers(
        self, customers: Iterable[CustomerEntry], *, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> int:
        """Bulk-add a stream of customers with their contacts in one transaction; return how many were new.

        Each entry is a [Customer][relcore.domain.Customer] alone or a
        ``(customer, contacts)`` pair. Importing is idempotent by the
        customers' external identities and ids: a customer whose id, or any
        of whose [identities][relcore.domain.Identity], is already stored is
        skipped together with its contacts, so sending the same feed again
        adds nothing and returns 0. Inside one call, the first customer holding
        an identity wins; later ones holding it are skipped. (A customer with
        no identity is only recognised by its id: give feed customers an
        identity.)

        The stream is read ``chunk_size`` entries at a time, so memory stays
        flat; each chunk is written with one ``executemany`` per table on SQL
        stores. Every entry is checked, against the CRM's vocabularies too,
        before its chunk is written, and any error rolls the whole call back.
        One [CustomersImported][relcore.domain.CustomersImported] event is
        published when a customer was new.

        Example:
            >>> from relcore import CRM, Contact, Customer, Identity
            >>> from relcore.domain import ContactPoint
            >>> crm = CRM.in_memory()
            >>> def feed():
            ...     for number, name in enumerate(["Ada", "Grace", "Alan"]):
            ...         customer = Customer.person(name, identities=[Identity("shop", str(number))])
            ...         email = ContactPoint.email(f"{name.lower()}@example.org", primary=True)
            ...         yield customer, [Contact(customer_id=customer.id, name=name, points=[email])]
            >>> crm.customers.import_customers(feed())
            3
            >>> crm.customers.import_customers(feed())  # the same feed again: identities already stored
            0
            >>> crm.customers.find_contacts(email="grace@example.org")[0].name
            'Grace'
            >>> crm.customers.find("shop", "2").name
            'Alan'

        Raises:
            ValidationError: An entry is malformed or uses an undeclared stage,
                role or channel (the path names it: ``customers[7].stage``,
                ``customers[7].contacts[0].customer_id``), or ``chunk_size`` is
                not a positive integer.
            ConflictError: A contact of a new customer has an id already stored.
        """
        size = positive_int("chunk_size", chunk_size, minimum=1)
        stream = check_items("customers", customers, self._declared_entry)
        return self._write(lambda uow: services.import_customers(uow, stream, chunk_size=size))

    def _declared_entry(self, path: str, entry: object) -> CustomerEntry:
        """``entry`` as a ``(customer, contacts)`` pair, checked against the vocabularies."""
        customer, people = check_entry(path, entry)
        self._declared(path, customer)
        for i, contact in enumerate(people):
            self._declared_contact(f"{path}.contacts[{i}]", contact)
        return customer, people

    def get(self, customer_id: CustomerId) -> Customer:
        """Return the customer with ``customer_id``.

        Raises:
            NotFoundError: There is none.
        """
        wanted = check_id("customer_id", customer_id)
        return self._read(lambda uow: uow.customers.get(wanted))

    def find(self, namespace: str, value: str) -> Customer | None:
        """Return the customer holding the external identity ``(namespace, value)``, if any.

        Raises:
            ValidationError: ``namespace`` or ``value`` could not be part of an
                [Identity][relcore.domain.Identity] (wrong type, empty, too
                long, a namespace not in lower case...).
        """
        identity = Identity(namespace, value)  # error paths "namespace", "value": the arguments
        return self._read(lambda uow: uow.customers.find_by_identity(identity.namespace, identity.value))

    def list(self, *, after: UUID | None = None, limit: int = 100) -> Page[Customer]:
        """Return one page of customers in id order (creation order, roughly).

        Pass the page's ``next_after`` as ``after`` to get the next page.

        Example:
            >>> from relcore import CRM, Customer
            >>> crm = CRM.in_memory()
            >>> for name in ("Ada", "Grace", "Alan"):
            ...     _ = crm.customers.add(Customer.person(name))
            >>> first = crm.customers.list(limit=2)
            >>> rest = crm.customers.list(after=first.next_after)
            >>> print(", ".join(c.name for c in first.items + rest.items))
            Ada, Grace, Alan
            >>> rest.next_after is None
            True
        """
        start = None if after is None else check_id("after", after)
        size = check_limit(limit)
        return self._read(lambda uow: uow.customers.list(after=start, limit=size))

    def save(self, customer: Customer) -> Customer:
        """Save a changed customer (version-checked); return the stored one.

        Raises:
            NotFoundError: The customer was never added.
            ConflictError: Someone saved it since it was read (its ``version`` is stale).
        """
        self._declared("customer", check_instance("customer", customer, Customer))
        return self._write(lambda uow: services.save_customer(uow, customer))

    def add_contact(self, contact: Contact) -> Contact:
        """Add a contact to an existing customer; return it."""
        self._declared_contact("contact", check_instance("contact", contact, Contact))
        self._write(lambda uow: services.add_contact(uow, contact))
        return contact

    def save_contact(self, contact: Contact) -> Contact:
        """Save a changed contact (version-checked); return the stored one."""
        self._declared_contact("contact", check_instance("contact", contact, Contact))
        return self._write(lambda uow: services.save_contact(uow, contact))

    def contacts(self, customer_id: CustomerId) -> builtins.list[Contact]:
        """Return the customer's contacts (none for an unknown customer)."""
        wanted = check_id("customer_id", customer_id)
        return self._read(lambda uow: uow.contacts.for_customer(wanted))

    def find_contacts(
        self, *, email: str | None = None, phone: str | None = None, region: str | None = None
    ) -> builtins.list[Contact]:
        """Return contacts by e-mail or phone (exactly one of the two).

        Raises:
            ValidationError: If neither or both of ``email`` and ``phone`` are
                given, or the address, number or region is malformed.
        """
        address = None if email is None else normalize_email(email)
        code = check_region(region)  # checked with an e-mail too, where it has no bearing
        number = None if phone is None else normalize_phone(phone, region=code)
        if address is not None and number is None:
            return self._read(lambda uow: uow.contacts.find_by_email(address))
        if number is not None and address is None:
            return self._read(lambda uow: uow.contacts.find_by_phone(number))
        problem = "give exactly one of email= and phone="
        raise ValidationError([FieldError("email", problem), FieldError("phone", problem)])
