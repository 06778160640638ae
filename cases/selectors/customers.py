"""The customer page of the desk: status, credit, recent cases and e-mails."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, OuterRef

from billing.selectors import CreditBalance, CreditBucket, credit_balance, credit_history
from customers.models import Contact, Customer
from customers.selectors import SupportStatus, support_status

from ..models import (
    ACTIVE_STATUSES,
    Callback,
    CallbackStatus,
    Case,
    InboundEmail,
    SupportEmail,
)
from .lists import case_costs
from .timeline import TimelineItem

# What the page's rows of cases do not show, left in the database (dates parsed for
# nothing, the long description).
CASE_ROW_DEFERRED = (
    *("description", "bug_reference", "opened_on", "updated_at"),
    *("verified_bug_at", "resolved_at", "closed_at"),
)


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


def customer_page_parts() -> dict[str, Exists]:
    """Annotations of a customer saying which lists of its page have rows (``has_cases``,
    ``has_open_callbacks``, ``has_inbound``, ``has_outgoing``): read with the customer,
    they spare :func:`customer_page` the queries of the lists that would be empty (most
    customers never wrote an e-mail), an index lookup each instead of a round trip."""
    customer = OuterRef("pk")
    return {
        "has_cases": Exists(Case.objects.filter(customer=customer)),
        "has_open_callbacks": Exists(
            Callback.objects.filter(case__customer=customer, status=CallbackStatus.OPEN)
        ),
        "has_inbound": Exists(InboundEmail.objects.filter(customer=customer)),
        "has_outgoing": Exists(SupportEmail.objects.filter(case__customer=customer)),
    }


def _has(customer: Customer, part: str) -> bool:
    """Whether the customer may have ``part`` (yes, unless read with the annotations of
    :func:`customer_page_parts`)."""
    return getattr(customer, f"has_{part}", True)


def customer_page(*, customer: Customer, on: date, recent: int = 10) -> CustomerPage:
    """Everything the customer page shows, in a fixed number of queries (fewer for a
    customer read with :func:`customer_page_parts`: none for a list it would not fill).

    The cases are the page's customer's, listed by their own columns (no contact, no
    assignee, not the long description)."""
    cases = Case.objects.filter(customer=customer).defer(*CASE_ROW_DEFERRED)
    open_cases: list[Case] = []
    recent_cases: list[Case] = []
    if _has(customer, "cases"):
        open_cases = list(cases.filter(status__in=ACTIVE_STATUSES)[:50])
        recent_cases = list(
            cases.exclude(status__in=ACTIVE_STATUSES).order_by("-created_at")[:recent]
        )
    open_callbacks: list[Callback] = []
    if _has(customer, "open_callbacks"):
        # The callbacks of the customer's cases (SQLite reads every open callback to find
        # them when asked for the callbacks of cases of the customer).
        of_cases = Case.objects.filter(customer=customer).values("pk")
        open_callbacks = list(
            Callback.objects.filter(case__in=of_cases, status=CallbackStatus.OPEN)
            .select_related("case")
            .defer(*(f"case__{name}" for name in CASE_ROW_DEFERRED))
            .order_by("first_window_start")[:20]
        )
    return CustomerPage(
        customer=customer,
        status=support_status(customer=customer, on=on),
        credit=credit_balance(customer=customer, on=on),
        credit_history=credit_history(customer=customer, before=on),
        contacts=list(customer.contacts.order_by("name")),
        open_cases=open_cases,
        recent_cases=recent_cases,
        costs=case_costs(open_cases + recent_cases),
        open_callbacks=open_callbacks,
        emails=customer_emails(customer=customer, last=recent),
    )


def customer_emails(*, customer: Customer, last: int = 10) -> list[TimelineItem]:
    """The customer's last e-mails, incoming and outgoing, newest first (two queries, one
    or none for a customer read with :func:`customer_page_parts`)."""
    # The list shows who, when and the subject: not the texts, which may be long.
    incoming: Iterable[InboundEmail] = ()
    if _has(customer, "inbound"):
        incoming = (
            InboundEmail.objects.filter(customer=customer)
            .select_related("case")
            .defer("text", "html", "references", "to", "case__description")[:last]
        )
    outgoing: Iterable[SupportEmail] = ()
    if _has(customer, "outgoing"):
        outgoing = (
            SupportEmail.objects.filter(case__customer=customer)
            .select_related("case")
            .defer("body", "error", "references", "case__description")
            .order_by("-created_at", "-id")[:last]
        )
    items = [TimelineItem("inbound", email.received_at, email) for email in incoming]
    items += [TimelineItem("outgoing", email.created_at, email) for email in outgoing]
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:last]
