"""The saved rows the ERP import compares a customer's rows with.

:class:`Saved` reads them when the import asks, one customer at a time, inside that
customer's transaction. :class:`SavedChunk` reads them for a chunk of customers at once
(a few queries per chunk, whatever the number of customers): the import uses it to find
the customers whose rows are all unchanged — the whole file, when the same file comes
again — without a query or a transaction of their own. A customer with anything to change
is applied with :class:`Saved`, from rows read in its own transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from ..models import (
    Contact,
    Customer,
    HalfFareSubscription,
    Licence,
    RentalPeriod,
    SupportPlusRegistration,
    SupportPlusSubscription,
)
from ..models.keys import search_key
from .columns import Record
from .records import CustomerLines, LicenceRecord


class Saved:
    """The saved rows, read from the database when asked."""

    def customer(self, number: str) -> Customer | None:
        return Customer.objects.filter(number=number).first()

    def contacts(self, customer: Customer) -> list[Contact]:
        return list(Contact.objects.filter(customer=customer).order_by("name", "pk"))

    def licences_numbered(self, numbers: Iterable[str]) -> dict[str, Licence]:
        """The licences of these ERP numbers (any customer's), with customer and modules."""
        return {
            str(licence.number): licence
            for licence in Licence.objects.filter(number__in=list(numbers))
            .select_related("customer")
            .prefetch_related("modules")
        }

    def licences_of(self, customer: Customer) -> list[Licence]:
        return list(Licence.objects.filter(customer=customer))

    def periods(self, licence: Licence) -> list[RentalPeriod]:
        return list(RentalPeriod.objects.filter(licence=licence))

    def half_fares(self, customer: Customer) -> list[HalfFareSubscription]:
        return list(HalfFareSubscription.objects.filter(customer=customer))

    def support_plus(self, customer: Customer) -> list[SupportPlusSubscription]:
        return list(SupportPlusSubscription.objects.filter(customer=customer))

    def registered(self, subscription: SupportPlusSubscription) -> list[str]:
        """The search keys of the registered persons' names, by position."""
        registrations = subscription.registrations.select_related("contact").order_by("position")
        return [search_key(registration.contact.name) for registration in registrations]


class SavedChunk(Saved):
    """The saved rows of the customers of ``groups`` (and the licences they name), read at
    once: nine queries."""

    def __init__(self, groups: list[CustomerLines]) -> None:
        customers = list(Customer.objects.filter(number__in=[group.number for group in groups]))
        self._customers = {customer.number: customer for customer in customers}
        numbers = {
            value.number
            for group in groups
            for _line, value in group.of(Record.LICENCE, LicenceRecord)
        }
        self._numbered = super().licences_numbered(numbers)
        self._contacts = _by(Contact.objects.filter(customer__in=customers).order_by("name", "pk"))
        licences = Licence.objects.filter(customer__in=customers)
        self._licences = _by(licences)
        self._periods: dict[int, list[RentalPeriod]] = defaultdict(list)
        for period in RentalPeriod.objects.filter(licence__in=licences):
            self._periods[period.licence_id].append(period)
        self._half_fares = _by(HalfFareSubscription.objects.filter(customer__in=customers))
        subscriptions = SupportPlusSubscription.objects.filter(customer__in=customers)
        self._support_plus = _by(subscriptions)
        self._registered: dict[int, list[str]] = defaultdict(list)
        registrations = SupportPlusRegistration.objects.filter(subscription__in=subscriptions)
        for registration in registrations.select_related("contact").order_by("position"):
            self._registered[registration.subscription_id].append(
                search_key(registration.contact.name)
            )

    def customer(self, number: str) -> Customer | None:
        return self._customers.get(number)

    def contacts(self, customer: Customer) -> list[Contact]:
        return list(self._contacts.get(customer.pk, []))

    def licences_numbered(self, numbers: Iterable[str]) -> dict[str, Licence]:
        return {number: self._numbered[number] for number in numbers if number in self._numbered}

    def licences_of(self, customer: Customer) -> list[Licence]:
        return list(self._licences.get(customer.pk, []))

    def periods(self, licence: Licence) -> list[RentalPeriod]:
        return list(self._periods.get(licence.pk, []))

    def half_fares(self, customer: Customer) -> list[HalfFareSubscription]:
        return list(self._half_fares.get(customer.pk, []))

    def support_plus(self, customer: Customer) -> list[SupportPlusSubscription]:
        return list(self._support_plus.get(customer.pk, []))

    def registered(self, subscription: SupportPlusSubscription) -> list[str]:
        return list(self._registered.get(subscription.pk, []))


def _by(rows: Iterable) -> dict[int, list]:
    """Rows by their customer's id, in the order read."""
    found: dict[int, list] = defaultdict(list)
    for row in rows:
        found[row.customer_id].append(row)
    return found
