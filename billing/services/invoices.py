"""Issuing a draft as an invoice, and cancelling an issued invoice with a credit note."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from q3helpdesk.guards import check_instance_text, service

from ..models import (
    Company,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceLineKind,
    InvoiceLineUsage,
    InvoiceStatus,
    Usage,
)
from ..rules import creditor_reference, qr_reference
from ..selectors import company
from ._common import (
    _copy_debtor,
    _lock_draft,
    _refresh_totals,
    _require_draft,
    _require_invoice,
    _tasks,
    _unbilled_usages,
)
from .numbering import invoice_number_next


def _check_company(creditor) -> None:
    try:
        creditor.full_clean()
    except ValidationError as exc:
        raise ValidationError(
            _(
                "The company data is not valid (%(fields)s); an administrator must correct"
                " it before invoices can be issued."
            )
            % {"fields": ", ".join(sorted(exc.message_dict))}
        ) from exc


class _Issuing(NamedTuple):
    """What the checks of :func:`invoice_issue` found, for the steps after them."""

    invoice: Invoice  # the draft, locked, its totals refreshed
    customer: Customer
    creditor: Company
    issued_on: date
    usage_ids: QuerySet  # the usages its lines hold


@service
@transaction.atomic
def invoice_issue(
    *,
    invoice: Invoice,
    issued_on: date | None = None,
    issued_by: User | None = None,
    render_pdf: bool = True,
) -> Invoice:
    """Issue a draft: number it, copy creditor and debtor into it and freeze it for good.

    The PDF is rendered by the background worker after the commit. ``render_pdf=False``
    leaves it to the first download (which renders and stores a missing PDF): for issuing
    many historic invoices at once, e.g. the demo data, without queueing hours of work.
    """
    issuing = _issue_validate(invoice, issued_on, issued_by)
    number = _issue_number(issuing.invoice, issuing.issued_on)
    fields = _issue_snapshot(issuing, number, issued_by)
    return _issue_store(issuing, fields, render_pdf)


def _issue_validate(invoice: Invoice, issued_on: date | None, issued_by: User | None) -> _Issuing:
    """Lock the draft and refuse what must not be issued: a bad date, an empty draft, time
    corrected since the draft was made, an incomplete customer or company, no positive total."""
    today = timezone.localdate()
    if issued_on is None:
        issued_on = today
    if isinstance(issued_on, datetime) or not isinstance(issued_on, date):
        raise ValidationError(_("The issue date must be a date."))
    if issued_on > today:
        raise ValidationError(_("An invoice cannot be issued with a date in the future."))
    if issued_by is not None and not isinstance(issued_by, get_user_model()):
        raise ValidationError(_("An invoice is issued by a user of the desk."))
    invoice = _lock_draft(invoice)
    _require_draft(invoice)
    lines = list(invoice.lines.all())
    if not lines:
        raise ValidationError(_("This draft has no lines; there is nothing to invoice."))
    latest = max(
        line.last_day if line.kind == InvoiceLineKind.WORK else line.first_day for line in lines
    )
    if issued_on < latest:
        raise ValidationError(
            _("An invoice cannot be dated before the last day it bills (%(day)s).")
            % {"day": f"{latest:%d.%m.%Y}"}
        )
    usage_ids = InvoiceLineUsage.objects.filter(line__invoice=invoice).values("usage_id")
    cases = Q()
    for line in lines:
        if line.kind == InvoiceLineKind.WORK:
            cases |= Q(work_ref=line.work_ref, activity=line.activity)
    # A posting of a case on the draft that the draft does not hold (a reversal, or time
    # logged since) would change the case's lines: the draft must be built again.
    # A reversal that the rounding absorbs (no billable minute taken back) changes nothing
    # on the draft; it is never held by a line, so it must not block the draft for good.
    reversals = Usage.objects.filter(reverses__in=usage_ids).exclude(billable_minutes=0)
    if reversals.exclude(pk__in=usage_ids).exists() or (
        cases
        and _unbilled_usages(invoice.period_start, invoice.period_end)
        .filter(cases, customer_id=invoice.customer_id)
        .exists()
    ):
        raise ValidationError(
            _(
                "Time on this draft was corrected after the draft was made; run the period"
                " again to refresh it."
            )
        )
    customer = invoice.customer
    if not (customer.postcode and customer.city):
        raise ValidationError(
            _("The address of customer %(number)s is incomplete (postcode and city are needed).")
            % {"number": customer.number}
        )
    try:
        # The issued invoice copies these texts for good, into its QR-bill too: a control
        # character stored before the input checks existed is corrected now, not found
        # when the PDF cannot be made.
        check_instance_text(customer)
    except ValidationError as exc:
        raise ValidationError(
            _("The data of customer %(number)s must be corrected first: %(error)s")
            % {"number": customer.number, "error": " ".join(exc.messages)}
        ) from exc
    creditor = company()
    _check_company(creditor)
    _refresh_totals(invoice)
    if invoice.total <= 0:
        raise ValidationError(_("The total of this draft is not positive; nothing to invoice."))
    return _Issuing(invoice, customer, creditor, issued_on, usage_ids)


def _issue_number(invoice: Invoice, issued_on: date) -> str:
    """The invoice's number, taken from its year's sequence (given back if the issue fails)."""
    number = invoice_number_next(year=issued_on.year)
    # Numbers follow the dates: no invoice of the year may be dated before the last one.
    latest = (
        Invoice.objects.filter(number__startswith=f"{issued_on.year}-")
        .exclude(pk=invoice.pk)
        .aggregate(latest=Max("issued_on"))["latest"]
    )
    if latest is not None and issued_on < latest:
        raise ValidationError(
            _(
                "Invoice numbers follow the dates: the last invoice of %(year)s is dated"
                " %(day)s; date this one on that day or later."
            )
            % {"year": issued_on.year, "day": f"{latest:%d.%m.%Y}"}
        )
    return number


def _issue_snapshot(issuing: _Issuing, number: str, issued_by: User | None) -> dict[str, object]:
    """The fields the issued invoice keeps for good: debtor and creditor as they are today,
    its number, dates and payment reference."""
    invoice, customer, creditor = issuing.invoice, issuing.customer, issuing.creditor
    issued_on = issuing.issued_on
    _copy_debtor(invoice, customer)
    fields = {
        name: getattr(invoice, name)
        for name in (
            "language",
            "debtor_number",
            "debtor_name",
            "debtor_street",
            "debtor_house_number",
            "debtor_postcode",
            "debtor_city",
            "debtor_country",
        )
    }
    fields.update(
        status=InvoiceStatus.ISSUED,
        number=number,
        issued_on=issued_on,
        due_on=issued_on + timedelta(days=creditor.payment_term_days),
        issued_by=issued_by,
        vat_rate=invoice.vat_rate,
        creditor_name=creditor.legal_name,
        creditor_street=creditor.street,
        creditor_house_number=creditor.house_number,
        creditor_postcode=creditor.postcode,
        creditor_city=creditor.city,
        creditor_country=creditor.country,
        creditor_vat_number=creditor.vat_number,
        creditor_iban=creditor.iban,
        creditor_email=creditor.email,
        creditor_phone=creditor.phone,
        footer=creditor.footer,
        reference=qr_reference(number) if creditor.is_qr_iban else creditor_reference(number),
    )
    return fields


def _issue_store(issuing: _Issuing, fields: dict[str, object], render_pdf: bool) -> Invoice:
    """Write the snapshot, mark the usages invoiced and queue the PDF for after the commit."""
    invoice = issuing.invoice
    Invoice.objects.filter(pk=invoice.pk, status=InvoiceStatus.DRAFT).update(**fields)
    Usage.objects.filter(pk__in=issuing.usage_ids).mark_invoiced(timezone.now())
    if render_pdf:
        transaction.on_commit(lambda: _tasks().render_invoice_pdf.enqueue(invoice.pk))
    invoice.refresh_from_db()
    return invoice


@service
@transaction.atomic
def invoice_cancel(*, invoice: Invoice, reason: str, issued_by: User | None = None) -> Invoice:
    """Cancel an issued invoice with a credit note (own number, negated lines); returns it.

    The usages of the invoice become unbilled again and its subscription fees can be
    invoiced anew.
    """
    _require_invoice(invoice)
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError(_("Give the reason for the cancellation."))
    if len(reason.strip()) > 200:
        raise ValidationError(_("The reason is text of at most 200 characters."))
    if issued_by is not None and not isinstance(issued_by, get_user_model()):
        raise ValidationError(_("An invoice is issued by a user of the desk."))
    original = _lock_draft(invoice)
    if original.kind == InvoiceKind.CREDIT_NOTE:
        raise ValidationError(_("A credit note cannot be cancelled."))
    if original.status == InvoiceStatus.DRAFT:
        raise ValidationError(_("A draft is not cancelled; discard it instead."))
    if original.status == InvoiceStatus.CANCELLED:
        raise ValidationError(
            _("Invoice %(number)s is already cancelled.") % {"number": original.number}
        )
    today = timezone.localdate()
    snapshot = {
        field.name: getattr(original, field.name)
        for field in Invoice._meta.concrete_fields
        if field.name.startswith(("debtor_", "creditor_"))
        or field.name
        in {
            "customer",
            "period_start",
            "period_end",
            "language",
            "footer",
            "vat_rate",
            "credit_used_minutes",
            "credit_remaining_minutes",
        }
    }
    credit_note = Invoice.objects.create(
        **snapshot,
        kind=InvoiceKind.CREDIT_NOTE,
        status=InvoiceStatus.ISSUED,
        number=invoice_number_next(year=today.year),
        issued_on=today,
        issued_by=issued_by,
        cancels=original,
        reason=reason.strip(),
        net=-original.net,
        vat=-original.vat,
        rounding=-original.rounding,
        total=-original.total,
    )
    negated = []
    for line in original.lines.order_by("position"):
        line.pk = None
        line.invoice = credit_note
        line.charged_minutes = -line.charged_minutes
        line.credit_minutes = -line.credit_minutes
        line.billable_minutes = -line.billable_minutes
        line.amount = -line.amount
        negated.append(line)
    InvoiceLine.objects.bulk_create(negated)
    Invoice.objects.filter(pk=original.pk).transition(
        status=InvoiceStatus.CANCELLED, reason=reason.strip()
    )
    Usage.objects.filter(
        pk__in=InvoiceLineUsage.objects.filter(line__invoice=original).values("usage_id")
    ).mark_invoiced(None)
    transaction.on_commit(lambda: _tasks().render_invoice_pdf.enqueue(credit_note.pk))
    return credit_note
