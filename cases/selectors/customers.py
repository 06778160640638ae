"""The customer page of the desk: status, credit, recent cases and e-mails."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

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
from .lists import case_costs, cases_for_list
from .timeline import TimelineItem


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
