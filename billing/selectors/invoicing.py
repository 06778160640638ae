"""Reads for invoicing: the creditor data, invoice lists and their totals, the last
invoiced day of a customer (R13), recent invoice runs and an invoice's lines by case."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Q, Sum
from django.utils.translation import gettext as _

from ..models import Company, Invoice, InvoiceKind, InvoiceLineKind, InvoiceRun, InvoiceStatus
from ..rules import summed_money
from ._common import _require_customer


def company() -> Company:
    """The creditor data for invoices; a clear error while an administrator has not entered it."""
    found = Company.objects.first()
    if found is None:
        raise ValidationError(
            _("The company data (creditor, UID, IBAN) is missing; an administrator enters it.")
        )
    return found


def invoices():
    """Invoices with what their pages show next to them (one query)."""
    return Invoice.objects.select_related("customer", "cancels", "credit_note")


def invoice_list_totals(invoices) -> dict:
    """Count and sums of the issued invoices and credit notes of a filtered list (one query).

    Drafts are counted apart: they are not invoiced yet. A cancelled invoice and its credit
    note add up to zero.
    """
    issued = ~Q(status=InvoiceStatus.DRAFT)
    sums = invoices.order_by().aggregate(
        count=Count("id", filter=issued),
        drafts=Count("id", filter=~issued),
        net=Sum("net", filter=issued),
        vat=Sum("vat", filter=issued),
        total=Sum("total", filter=issued),
    )
    # SQLite adds decimals as floats: bring the sums back to exact centimes.
    return {
        "count": sums["count"],
        "drafts": sums["drafts"],
        **{name: summed_money(sums[name]) for name in ("net", "vat", "total")},
    }


def has_drafts(invoices) -> bool:
    """Whether a (filtered) list of invoices holds a draft (one indexed probe)."""
    return invoices.filter(status=InvoiceStatus.DRAFT).exists()


def last_invoiced_day(*, customer) -> date | None:
    """The last day of the latest period invoiced to the customer (cancelled invoices aside):
    no work may be dated on or before it any more (R13)."""
    _require_customer(customer)
    return (
        Invoice.objects.filter(
            customer=customer, kind=InvoiceKind.INVOICE, status=InvoiceStatus.ISSUED
        )
        .order_by()
        .aggregate(last=Max("period_end"))["last"]
    )


def invoice_runs_recent(limit: int = 3) -> list[InvoiceRun]:
    return list(InvoiceRun.objects.select_related("created_by")[:limit])


@dataclass
class LineGroup:
    """The lines of one case (``title`` is its reference), or the subscription fees."""

    title: str
    text: str = ""
    contact: str = ""
    is_fees: bool = False
    lines: list = field(default_factory=list)


def invoice_line_groups(invoice: Invoice) -> list[LineGroup]:
    """Work lines grouped by case in the order of the invoice, then the fees (one query)."""
    cases: dict[str, LineGroup] = {}
    fees = LineGroup(title=_("Subscriptions"), is_fees=True)
    for line in invoice.lines.order_by("position"):
        if line.kind != InvoiceLineKind.WORK:
            fees.lines.append(line)
            continue
        group = cases.get(line.work_ref)
        if group is None:
            group = cases[line.work_ref] = LineGroup(
                title=line.work_ref, text=line.text, contact=line.contact_name
            )
        group.lines.append(line)
    return [*cases.values(), *([fees] if fees.lines else [])]
