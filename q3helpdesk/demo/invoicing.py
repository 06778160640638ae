"""The demo's invoices of the complete months, planned in memory and written in bulk.

What :func:`billing.services.invoice_drafts` and :func:`~billing.services.invoice_issue`
would make, month by month in date order (each month's drafts by customer, issued on the
first working day of the month after): the lines come from the same pure functions
(:func:`billing.services.drafts.work_lines`, :func:`~billing.services.drafts.fee_lines`),
the totals from :func:`billing.rules.invoice_totals`, the issued fields from
:func:`billing.services.invoices._issue_snapshot`, the numbers per year without gaps in
issuing order (:func:`billing.services.numbering.invoice_number`), and a draft the issue
would refuse is discarded as it would be. The PDFs are rendered on their first download.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from billing.models import (
    Company,
    CreditGrant,
    Invoice,
    InvoiceLine,
    InvoiceLineKind,
    InvoiceLineUsage,
    InvoiceNumberSequence,
    Usage,
)
from billing.rules import invoice_totals
from billing.services._common import _copy_debtor
from billing.services.drafts import fee_lines, work_lines
from billing.services.invoices import _check_company, _issue_snapshot, _Issuing
from billing.services.numbering import invoice_number
from customers.models import Contact, Customer, HalfFareSubscription, SupportPlusSubscription
from q3helpdesk.guards import check_instance_text

from .days import first_working_day, month_start
from .ledger import Tariffs
from .writing import allocate_ids, build, insert


@dataclass(frozen=True)
class Month:
    start: date
    end: date
    issued_on: date
    vat_rate: Decimal


def invoice_months(*, start: date, today: date, tariffs: Tariffs) -> Iterator[Month]:
    """The complete months from ``start`` to the month before last that can be invoiced:
    a tariff in force at the end, no change of the VAT rate inside (``invoice_drafts``)."""
    month, stop = start, month_start(today, -1)
    while month < stop:
        following = month_start(month, 1)
        issued_on = first_working_day(following)
        if issued_on > today:
            return
        end = following - timedelta(days=1)
        at_end, at_start = tariffs.on(end), tariffs.on(month)
        vat_changes = at_start is not None and any(
            t.vat_rate != at_start.vat_rate for t in tariffs.by_start if month < t.valid_from <= end
        )
        if at_end is not None and not vat_changes:
            yield Month(month, end, issued_on, at_end.vat_rate)
        month = following


@dataclass
class PlannedInvoice:
    invoice: Invoice
    lines: list[tuple[InvoiceLine, list[int]]]  # unsaved lines with the usage ids they hold
    issued_on: date


@dataclass
class CustomerBilling:
    """What one customer's invoices are made of: its usages (saved, in posting order), its
    draws by day, its grants and subscriptions, its contacts' names."""

    customer: Customer
    usages: list[Usage]
    draws: list[tuple[int, int, date]]  # grant id, minutes, day of the usage
    grants: list[CreditGrant]
    support_plus: list[tuple[SupportPlusSubscription, list[Contact]]]
    half_fare: list[HalfFareSubscription]
    contacts: dict[int, str] = field(default_factory=dict)

    def remaining_on(self, day: date) -> int:
        """``credit_balance(on=day).remaining``: the credit valid on ``day``, less what the
        work performed on or before ``day`` drew (R14), never below zero per grant."""
        remaining = 0
        for grant in self.grants:
            if grant.valid_from <= day <= grant.valid_to:
                used = sum(m for g, m, d in self.draws if g == grant.pk and d <= day)
                remaining += max(grant.minutes - used, 0)
        return remaining


def plan_customer_invoices(
    billing: CustomerBilling,
    months: list[Month],
    tariffs: Tariffs,
    creditor_ok: bool,
    counts: Counter,
) -> list[PlannedInvoice]:
    """The customer's invoices of ``months``, as the monthly runs would issue them."""
    customer = billing.customer
    usages = sorted(billing.usages, key=lambda u: (u.performed_on, u.pk))
    billable = [u for u in usages if u.billable_minutes != 0]
    reversals = [u for u in usages if u.reverses_id is not None]
    by_month: dict[date, list[Usage]] = {}
    for usage in usages:
        by_month.setdefault(month_start(usage.performed_on), []).append(usage)
    pending: list[Usage] = []  # unbilled billable postings up to the month's end
    next_billable = 0
    sp_due, hf_due = list(billing.support_plus), list(billing.half_fare)
    planned = []
    for month in months:
        while next_billable < len(billable) and billable[next_billable].performed_on <= month.end:
            pending.append(billable[next_billable])
            next_billable += 1
        sp_now = [(s, r) for s, r in sp_due if s.start <= month.end]
        hf_now = [h for h in hf_due if h.start <= month.end]
        if not (pending or sp_now or hf_now):
            continue
        in_month = by_month.get(month.start, [])
        refs = {u.work_ref for u in pending}
        info = [u for u in in_month if u.billable_minutes == 0 and u.work_ref in refs]
        lines = work_lines(pending, info, billing.contacts) + fee_lines(
            language=customer.language, support_plus=sp_now, half_fare=hf_now, tariff_on=tariffs.on
        )
        if not lines:
            continue
        invoice = Invoice(
            customer=customer,
            period_start=month.start,
            period_end=month.end,
            vat_rate=month.vat_rate,
        )
        _copy_debtor(invoice, customer)
        net = sum((line.amount for line, _ in lines), Decimal("0.00"))
        invoice.net = net
        invoice.vat, invoice.rounding, invoice.total = invoice_totals(net, month.vat_rate)
        invoice.credit_used_minutes = sum(u.credit_minutes for u in in_month)
        invoice.credit_remaining_minutes = billing.remaining_on(month.end)
        held = {u.pk for _, us in lines for u in us}
        if not creditor_ok or not _issuable(invoice, lines, held, pending, reversals, month):
            counts["drafts_discarded"] += 1
            continue
        planned.append(
            PlannedInvoice(
                invoice, [(line, [u.pk for u in us]) for line, us in lines], month.issued_on
            )
        )
        pending = [u for u in pending if u.pk not in held]
        sp_done = {line.support_plus_id for line, _ in lines if line.support_plus_id}
        hf_done = {line.half_fare_subscription_id for line, _ in lines}
        sp_due = [(s, r) for s, r in sp_due if s.pk not in sp_done]
        hf_due = [h for h in hf_due if h.pk not in hf_done]
    return planned


def _issuable(invoice, lines, held, pending, reversals, month: Month) -> bool:
    """What ``invoice_issue`` refuses (else the draft is discarded): a date before a billed
    day, time corrected since the draft, an incomplete customer, no positive total."""
    latest = max(
        line.last_day if line.kind == InvoiceLineKind.WORK else line.first_day for line, _ in lines
    )
    if month.issued_on < latest:
        return False
    if any(u.reverses_id in held and u.pk not in held and u.billable_minutes for u in reversals):
        return False
    cases = {
        (line.work_ref, line.activity) for line, _ in lines if line.kind == InvoiceLineKind.WORK
    }
    if any((u.work_ref, u.activity) in cases for u in pending if u.pk not in held):
        return False
    customer = invoice.customer
    if not (customer.postcode and customer.city):
        return False
    try:
        check_instance_text(customer)
    except ValidationError:
        return False
    return invoice.total > 0


def creditor_ok(creditor: Company | None) -> bool:
    if creditor is None:
        return False
    try:
        _check_company(creditor)
    except ValidationError:
        return False
    return True


class Invoicing:
    """The invoices of the seeded customers: planned batch by batch (the usages they hold
    are marked invoiced before they are written), numbered and written at the end."""

    def __init__(self, *, months: list[Month], tariffs: Tariffs, creditor: Company) -> None:
        self.months, self.tariffs, self.creditor = months, tariffs, creditor
        self.issuable = creditor_ok(creditor)
        self.planned: list[PlannedInvoice] = []
        self.now = timezone.now()

    def plan(self, billings: list[CustomerBilling], counts: Counter) -> None:
        for billing in billings:
            invoices = plan_customer_invoices(
                billing, self.months, self.tariffs, self.issuable, counts
            )
            held = {pk for p in invoices for _, ids in p.lines for pk in ids}
            for usage in billing.usages:
                if usage.pk in held:
                    usage.invoiced_at = self.now  # what invoice_issue marks
            self.planned += invoices

    @transaction.atomic
    def write(self) -> int:
        """Number the invoices in issuing order (month by month, each month by customer),
        continuing each year's sequence without a gap, and write them with their lines.
        Returns how many were written."""
        planned, creditor = self.planned, self.creditor
        planned.sort(key=lambda p: (p.issued_on, p.invoice.period_start, p.invoice.customer_id))
        last = dict(InvoiceNumberSequence.objects.values_list("year", "last"))
        for p in planned:
            year = p.issued_on.year
            last[year] = last.get(year, 0) + 1
            issuing = _Issuing(p.invoice, p.invoice.customer, creditor, p.issued_on, None)  # type: ignore[arg-type]
            number = invoice_number(year, last[year])
            for name, value in _issue_snapshot(issuing, number, None).items():
                setattr(p.invoice, name, value)
        invoices = [p.invoice for p in planned]
        allocate_ids(Invoice, invoices)
        insert(Invoice, invoices)
        lines = []
        for p in planned:
            for position, (line, _) in enumerate(p.lines, start=1):
                line.invoice, line.position = p.invoice, position
                lines.append(line)
        allocate_ids(InvoiceLine, lines)
        insert(InvoiceLine, lines)
        links = [
            build(InvoiceLineUsage, {"line": line}, usage_id=usage_id)
            for p in planned
            for line, usage_ids in p.lines
            for usage_id in usage_ids
        ]
        allocate_ids(InvoiceLineUsage, links)
        insert(InvoiceLineUsage, links)
        for year, n in last.items():
            InvoiceNumberSequence.objects.bulk_create(
                [InvoiceNumberSequence(year=year, last=0)], ignore_conflicts=True
            )
            InvoiceNumberSequence.objects.filter(year=year).update(last=n)
        return len(invoices)
