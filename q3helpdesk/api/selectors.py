"""Reads of the API: what it answers, built from the apps' own selectors so that the API
says exactly what the desk shows. Each read costs a fixed number of queries, whatever
the number of rows (tests/q3helpdesk/api)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils.translation import gettext as _

from billing.models import Invoice, InvoiceStatus, Usage
from billing.selectors import CreditBalance, credit_balance, credit_balances
from cases.models import Case
from customers.models import Contact, Customer, Licence, RentalPeriod
from customers.selectors import (
    SupportStatus,
    customer_lookup,
    customers_for_list,
    normalise_phone,
    registered_on,
    support_status,
)


def customers_on(on: date) -> QuerySet[Customer]:
    """Customers with their status on ``on`` (eligible, best variant, Support+ and
    half-fare running), in the order they were written: one query per page."""
    return customers_for_list(on=on).order_by("id")


@dataclass(frozen=True)
class CustomerFacts:
    """A customer with everything the API says of it on a day."""

    customer: Customer
    status: SupportStatus
    credit: CreditBalance
    licences: list[Licence]


def customer_facts(*, customer: Customer, on: date) -> CustomerFacts:
    """One customer on ``on``: its support status (R1), credit (R3, R7), licences with
    their modules and rental periods; at most nine queries."""
    licences = list(
        Licence.objects.filter(customer=customer)
        .prefetch_related(
            "modules", Prefetch("rental_periods", queryset=RentalPeriod.objects.order_by("start"))
        )
        .order_by("number", "id")
    )
    return CustomerFacts(
        customer=customer,
        status=support_status(customer=customer, on=on),
        credit=credit_balance(customer=customer, on=on),
        licences=licences,
    )


@dataclass(frozen=True)
class CallerMatch:
    customer: Customer  # annotated as customers_for_list does: eligible, variant, ...
    contact: Contact | None
    registered_caller: bool
    credit: CreditBalance  # what this caller may use: Support+ minutes only if registered

    @property
    def priority(self) -> bool:
        """Answer first (R8): the caller is a registered person of the Support+ running —
        as the desk marks the case it opens. A number that names no single contact (the
        customer's own, or shared) gives no priority: the desk asks who is calling."""
        return self.registered_caller


def usable_by(balance: CreditBalance, *, registered: bool) -> CreditBalance:
    """The buckets a caller may draw on (R7): Support+ minutes serve the registered persons
    only — as the desk's credit statement counts them (``cases.emails``)."""
    buckets = [b for b in balance.buckets if registered or not b.registered_only]
    return CreditBalance(on=balance.on, buckets=buckets)


@dataclass(frozen=True)
class CallerAnswer:
    phone: str  # E.164
    matches: list[CallerMatch]
    more: bool


def caller_answer(*, phone: str, on: date) -> CallerAnswer:
    """Who is calling from ``phone`` (any Swiss writing) on ``on``: the customers whose
    own number or whose contact's number it is, each with eligibility, credit and
    Support+ priority. At most five queries, whatever the number of matches."""
    e164 = normalise_phone(phone or "")
    if e164 is None:
        raise ValidationError(
            _("Give a phone number, for example 031 511 49 49 or +41315114949."), code="phone"
        )
    found = customer_lookup(q=e164)  # two queries: customers and contacts by E.164
    if not found.hits:
        return CallerAnswer(phone=e164, matches=[], more=False)
    ids = [hit.customer.pk for hit in found.hits]
    rows = {c.pk: c for c in customers_for_list(on=on).filter(pk__in=ids)}
    balances = credit_balances(customers=ids, on=on)
    contacts = [hit.contact.pk for hit in found.hits if hit.contact is not None]
    registered = registered_on(contact_ids=contacts, on=on) if contacts else set()
    matches = []
    for hit in found.hits:
        if hit.customer.pk not in rows:
            continue  # deleted since the lookup
        is_registered = hit.contact is not None and hit.contact.pk in registered
        matches.append(
            CallerMatch(
                customer=rows[hit.customer.pk],
                contact=hit.contact,
                registered_caller=is_registered,
                credit=usable_by(balances[hit.customer.pk], registered=is_registered),
            )
        )
    return CallerAnswer(phone=e164, matches=matches, more=found.more)


def cases_listed() -> QuerySet[Case]:
    return Case.objects.select_related("customer", "contact").order_by("id")


def usages_listed() -> QuerySet[Usage]:
    return Usage.objects.select_related("customer").order_by("id")


def invoices_listed() -> QuerySet[Invoice]:
    """Issued and cancelled invoices and credit notes; drafts are not invoices yet. The
    credit note that cancelled an invoice is looked up per row of the page through its
    unique key (a join of the reverse relation made SQLite read every invoice per row)."""
    cancelled_by = Invoice.objects.filter(cancels=OuterRef("pk")).values("number")[:1]
    return (
        Invoice.objects.exclude(status=InvoiceStatus.DRAFT)
        .select_related("customer", "cancels")
        .annotate(cancelled_by=Subquery(cancelled_by))
        .order_by("id")
    )
