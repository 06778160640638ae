"""Private helpers that more than one module of the billing services needs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Sum
from django.utils.translation import gettext as _

from customers.models import Customer

from ..models import (
    CLAIMING_STATUSES,
    Invoice,
    InvoiceKind,
    InvoiceLineUsage,
    InvoiceStatus,
    Tariff,
    Usage,
)
from ..rules import invoice_totals
from ..selectors import credit_balance, tariff_in_force


def _tariff_or_none(on: date) -> Tariff | None:
    try:
        return tariff_in_force(on=on)
    except ValidationError:
        return None  # before the first tariff there is no credit


def _claimed():
    """Whether a draft or an issued invoice holds the usage (a correlated ``EXISTS``: one
    index probe per usage, not a scan of every invoiced usage)."""
    return Exists(
        InvoiceLineUsage.objects.filter(
            usage=OuterRef("pk"),
            line__invoice__kind=InvoiceKind.INVOICE,
            line__invoice__status__in=CLAIMING_STATUSES,
        )
    )


def _unbilled_usages(period_start: date, period_end: date):
    """Postings up to the period's end with billable minutes that no draft or invoice holds.

    Earlier postings still unbilled (posted late, or taken off a draft) come along, so
    nothing is left behind; their lines show their own days.
    """
    return (
        Usage.objects.filter(performed_on__lte=period_end, invoiced_at__isnull=True)
        .exclude(billable_minutes=0)
        .exclude(_claimed())
    )


def _copy_debtor(invoice: Invoice, customer: Customer) -> None:
    invoice.language = customer.language
    invoice.debtor_number = customer.number
    invoice.debtor_name = customer.name
    invoice.debtor_street = customer.street
    invoice.debtor_house_number = customer.house_number
    invoice.debtor_postcode = customer.postcode
    invoice.debtor_city = customer.city
    invoice.debtor_country = customer.country


def _refresh_totals(invoice: Invoice) -> None:
    """Net, VAT, rounding and total of a draft from its lines, plus the credit figures."""
    net = invoice.lines.aggregate(net=Sum("amount"))["net"] or Decimal("0.00")
    vat, rounding, total = invoice_totals(net, invoice.vat_rate)
    used = Usage.objects.filter(
        customer_id=invoice.customer_id,
        performed_on__gte=invoice.period_start,
        performed_on__lte=invoice.period_end,
    ).aggregate(used=Sum("credit_minutes"))["used"]
    remaining = credit_balance(customer=invoice.customer, on=invoice.period_end).remaining
    Invoice.objects.filter(pk=invoice.pk, status=InvoiceStatus.DRAFT).update(
        net=net,
        vat=vat,
        rounding=rounding,
        total=total,
        credit_used_minutes=used or 0,
        credit_remaining_minutes=remaining,
    )
    invoice.refresh_from_db()


def _require_invoice(invoice) -> None:
    if not isinstance(invoice, Invoice) or invoice.pk is None:
        raise ValidationError(_("Choose an existing invoice."))


def _require_draft(invoice: Invoice) -> None:
    if invoice.status != InvoiceStatus.DRAFT:
        raise ValidationError(
            _("Invoice %(number)s is already issued; it cannot be changed.")
            % {"number": invoice.number}
        )


def _lock_draft(invoice) -> Invoice:
    """Lock the customer, then the invoice (the order every invoice write takes)."""
    _require_invoice(invoice)
    Customer.objects.select_for_update().get(pk=invoice.customer_id)
    locked = Invoice.objects.select_for_update().filter(pk=invoice.pk).first()
    if locked is None:
        raise ValidationError(_("This draft no longer exists; run the period again."))
    return locked


def _tasks():
    """``billing.tasks``, imported when a service first queues work, not at load time.

    The one place the services reach the tasks: the tasks call the services and import
    them at module level, so importing the tasks here too would make the two modules
    import each other.
    """
    from .. import tasks

    return tasks
