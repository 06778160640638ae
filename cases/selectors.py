"""Reads of the desk: caller lookup, the customer page, case lists."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import phonenumbers
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from billing.models import Usage
from billing.rules import round_money
from billing.selectors import CreditBalance, CreditBucket, credit_balance, credit_history
from customers.models import Contact, Customer, search_key
from customers.selectors import SupportStatus, support_status

from .models import (
    ACTIVE_STATUSES,
    Callback,
    CallbackAttempt,
    CallbackStatus,
    Case,
    CaseEventKind,
    InboundEmail,
    InboundStatus,
    SupportEmail,
    TimeEntry,
)

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
    emails: list[TimelineItem]


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
        emails=customer_emails(customer=customer, last=recent),
    )


def customer_emails(*, customer: Customer, last: int = 10) -> list[TimelineItem]:
    """The customer's last e-mails, incoming and outgoing, newest first (two queries)."""
    incoming = InboundEmail.objects.filter(customer=customer).select_related("case")[:last]
    outgoing = (
        SupportEmail.objects.filter(case__customer=customer)
        .select_related("case")
        .order_by("-created_at", "-id")[:last]
    )
    items = [TimelineItem("inbound", email.received_at, email) for email in incoming]
    items += [TimelineItem("outgoing", email.created_at, email) for email in outgoing]
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:last]


# --- the inbox ------------------------------------------------------------------------------

WAITING = (InboundStatus.INBOX, InboundStatus.UNREADABLE)


def inbox_messages() -> QuerySet[InboundEmail]:
    """Messages no case holds yet: unknown senders and unreadable messages, newest first."""
    return (
        InboundEmail.objects.filter(status__in=WAITING)
        .annotate(attachment_count=Count("attachments"))
        .order_by("-received_at", "-id")
    )


def inbox_waiting_count() -> int:
    """How many messages wait in the inbox (the navigation's badge): one COUNT query."""
    return InboundEmail.objects.filter(status__in=WAITING).count()


# --- the case as one conversation ---------------------------------------------------------


@dataclass(frozen=True)
class TimelineItem:
    """One line of a case's timeline: what happened (``kind``), when, and the row itself.

    Kinds: ``inbound`` (InboundEmail), ``outgoing`` (SupportEmail), ``note`` (CaseNote),
    ``time`` (TimeEntry), ``callback`` (Callback), ``attempt`` (CallbackAttempt),
    ``event`` (CaseEvent), ``follows`` and ``followed_by`` (Case).
    """

    kind: str
    at: datetime
    obj: object


def case_timeline(case: Case, *, entries: list[TimeEntry] | None = None) -> list[TimelineItem]:
    """Everything that happened on ``case``, oldest first, in a fixed number of queries.

    ``entries`` are the case's time entries when the caller has them already (the case
    page lists them in its time card), with ``created_by`` and ``removed_by`` selected.
    """
    items: list[TimelineItem] = []
    for email in case.inbound_emails.prefetch_related("attachments"):
        items.append(TimelineItem("inbound", email.received_at, email))
    for email in case.emails.select_related("created_by").prefetch_related("attachments"):
        items.append(TimelineItem("outgoing", email.created_at, email))
    for note in case.notes.select_related("created_by"):
        items.append(TimelineItem("note", note.created_at, note))
    if entries is None:
        entries = list(case.time_entries.select_related("created_by", "removed_by"))
    for entry in entries:
        items.append(TimelineItem("time", entry.created_at, entry))
    callbacks = case.callbacks.select_related("created_by").prefetch_related(
        Prefetch("attempts", queryset=CallbackAttempt.objects.select_related("by"))
    )
    for callback in callbacks:
        items.append(TimelineItem("callback", callback.created_at, callback))
        for attempt in callback.attempts.all():
            items.append(TimelineItem("attempt", attempt.at, attempt))
    # A follow-up is shown from the case it points to (a link), not from its event text.
    for event in case.events.exclude(kind=CaseEventKind.FOLLOW_UP).select_related("by"):
        items.append(TimelineItem("event", event.at, event))
    if case.follows_id is not None:
        items.append(TimelineItem("follows", case.created_at, case.follows))
    for later in case.followed_by.only("pk", "subject", "created_at"):
        items.append(TimelineItem("followed_by", later.created_at, later))
    # The case's own start comes first at equal instants; then what happened on it.
    order = {"follows": 0}
    items.sort(key=lambda item: (item.at, order.get(item.kind, 1)))
    return items
