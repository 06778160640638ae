"""Reads of the desk: caller lookup, the customer page, case lists."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import phonenumbers
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from billing.models import Usage
from billing.rules import round_money
from billing.selectors import CreditBalance, CreditBucket, credit_balance, credit_history
from customers.models import Contact, Customer, search_key
from customers.selectors import SupportStatus, support_status

from .models import ACTIVE_STATUSES, Callback, CallbackStatus, Case

PHONE_CHARS = re.compile(r"^[+0-9 ()./-]+$")
NUMBER = re.compile(r"^[1-9][0-9]{3,9}$")
MAX_MATCHES = 50


def normalise_phone(text: str) -> str | None:
    """A Swiss (or international) phone number in any writing, as E.164; else None."""
    if not text or not PHONE_CHARS.match(text.strip()):
        return None
    digits = re.sub(r"\D", "", text)
    if len(digits) < 9:
        return None
    try:
        number = phonenumbers.parse(text, "CH")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@dataclass(frozen=True)
class LookupResult:
    query: str
    kind: str  # phone, email, number, name or empty
    customers: list[Customer]
    more: bool = False  # more than MAX_MATCHES matched: the desk should narrow the search

    @property
    def single(self) -> Customer | None:
        return self.customers[0] if len(self.customers) == 1 else None


def lookup(*, q: str) -> LookupResult:
    """Find customers by phone (any Swiss writing), e-mail, customer number or name.

    Names are compared without accents and case ("muller" finds "Müller"), on the
    customer and on its contacts. At most ``MAX_MATCHES`` customers come back.
    """
    q = (q or "").strip()[:200]
    if not q:
        return LookupResult(q, "", [])
    base = Customer.objects.order_by("name", "number")
    if NUMBER.match(q):
        by_number = list(base.filter(number=q)[:1])
        if by_number:
            return LookupResult(q, "number", by_number)
    phone = normalise_phone(q)
    if phone:
        contact_phone = Contact.objects.filter(customer=OuterRef("pk"), phone=phone)
        return _result(q, "phone", base.filter(Q(phone=phone) | Exists(contact_phone)))
    if "@" in q:
        contact_mail = Contact.objects.filter(customer=OuterRef("pk"), email__iexact=q)
        return _result(q, "email", base.filter(Q(email__iexact=q) | Exists(contact_mail)))
    key = search_key(q)
    contact_name = Contact.objects.filter(customer=OuterRef("pk"), name_key__contains=key)
    return _result(q, "name", base.filter(Q(name_key__contains=key) | Exists(contact_name)))


def _result(q: str, kind: str, found) -> LookupResult:
    rows = list(found[: MAX_MATCHES + 1])  # one more tells whether there are more
    return LookupResult(q, kind, rows[:MAX_MATCHES], more=len(rows) > MAX_MATCHES)


# --- cases with their cost -------------------------------------------------------------


def case_costs(cases) -> dict[str, dict]:
    """Charged, credit and billable minutes and amount per case reference, in one query."""
    refs = [case.reference for case in cases]
    if not refs:
        return {}
    customer_ids = {case.customer_id for case in cases}
    rows = (
        Usage.objects.filter(customer_id__in=customer_ids, work_ref__in=refs)
        .values("work_ref")
        .annotate(
            charged=Coalesce(Sum("charged_minutes"), 0),
            credit=Coalesce(Sum("credit_minutes"), 0),
            billable=Coalesce(Sum("billable_minutes"), 0),
            amount=Sum("amount"),
        )
    )
    return {
        row["work_ref"]: {**row, "amount": round_money(Decimal(str(row["amount"] or 0)))}
        for row in rows
    }


def cases_for_list() -> QuerySet[Case]:
    return Case.objects.select_related("customer", "contact", "assignee")


@dataclass(frozen=True)
class CustomerPage:
    customer: Customer
    status: SupportStatus
    credit: CreditBalance
    credit_history: list[CreditBucket]
    contacts: list[Contact]
    open_cases: list[Case]
    recent_cases: list[Case]
    costs: dict[str, dict]
    open_callbacks: list[Callback]


def customer_page(*, customer: Customer, on: date, recent: int = 10) -> CustomerPage:
    """Everything the customer page shows, in a fixed number of queries."""
    cases = cases_for_list().filter(customer=customer)
    open_cases = list(cases.filter(status__in=ACTIVE_STATUSES)[:50])
    recent_cases = list(cases.exclude(status__in=ACTIVE_STATUSES).order_by("-created_at")[:recent])
    return CustomerPage(
        customer=customer,
        status=support_status(customer=customer, on=on),
        credit=credit_balance(customer=customer, on=on),
        credit_history=credit_history(customer=customer, before=on),
        contacts=list(customer.contacts.order_by("name")),
        open_cases=open_cases,
        recent_cases=recent_cases,
        costs=case_costs(open_cases + recent_cases),
        open_callbacks=list(
            Callback.objects.filter(case__customer=customer, status=CallbackStatus.OPEN)
            .select_related("case")
            .order_by("first_window_start")[:20]
        ),
    )
