"""The append-only ledger and issued invoices are enforced by the ORM and, on PostgreSQL,
by triggers: a raw SQL mistake cannot rewrite money; the app's own flows still work."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from billing.models import (
    Invoice,
    InvoiceLine,
    InvoiceLineUsage,
    InvoiceStatus,
    Usage,
    UsageDraw,
)
from billing.services import (
    invoice_cancel,
    invoice_discard,
    invoice_drafts,
    invoice_issue,
    invoice_line_remove,
    invoice_pdf_stored,
    usage_reverse,
)
from tests.factories import issued_invoice, make_usage, no_credit_customer, rental_customer

pytestmark = pytest.mark.django_db

MARCH = {"period_start": date(2026, 3, 1), "period_end": date(2026, 3, 31)}
DRAWN = 5  # the credit of a standard licence with one main module, all taken by 10 minutes


def two_case_invoice() -> Invoice:
    """An issued invoice of two cases (20 and 10 billable minutes), its PDF not rendered."""
    customer = no_credit_customer()
    make_usage(customer, 20)
    make_usage(customer, 10, ref="C-2")
    return issued_invoice(customer, issued_on=date(2026, 4, 1), render_pdf=False)


def credit_usage() -> Usage:
    """A usage that drew credit minutes (it has a draw)."""
    customer = rental_customer()
    usage = make_usage(customer, 10)
    assert list(usage.draws.values_list("minutes", flat=True)) == [DRAWN]
    return usage


# --- the ORM ---------------------------------------------------------------------------


def test_usage_update_is_refused_by_the_orm():
    usage = credit_usage()
    for write in (
        lambda: Usage.objects.filter(pk=usage.pk).update(amount=Decimal("0.00")),
        lambda: Usage.objects.filter(pk=usage.pk).update(invoiced_at=timezone.now()),
        lambda: Usage.objects.bulk_update([usage], ["label"]),
        lambda: UsageDraw.objects.filter(usage=usage).update(minutes=1),
        lambda: UsageDraw.objects.filter(usage=usage).delete(),
    ):
        with pytest.raises(ValidationError, match="reversal"), transaction.atomic():
            write()
    fresh = Usage.objects.get(pk=usage.pk)
    assert (fresh.credit_minutes, fresh.invoiced_at) == (usage.credit_minutes, None)
    assert list(fresh.draws.values_list("minutes", flat=True)) == [DRAWN]


def test_marking_usages_invoiced_is_the_one_allowed_write():
    usage = credit_usage()
    at = timezone.now()
    assert Usage.objects.filter(pk=usage.pk).mark_invoiced(at) == 1
    assert Usage.objects.get(pk=usage.pk).invoiced_at == at
    Usage.objects.filter(pk=usage.pk).mark_invoiced(None)
    assert Usage.objects.get(pk=usage.pk).invoiced_at is None


def test_an_issued_invoice_never_goes_back_to_a_draft_through_the_orm(creditor):
    invoice = two_case_invoice()
    for status in (InvoiceStatus.DRAFT, InvoiceStatus.ISSUED):
        with pytest.raises(ValidationError, match="cannot be changed"), transaction.atomic():
            Invoice.objects.filter(pk=invoice.pk).transition(status=status, reason="x")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.reason) == (InvoiceStatus.ISSUED, "")


# --- the database (PostgreSQL triggers) ------------------------------------------------


def refused_by_the_database(sql: str, params: list) -> None:
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.postgresql
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE billing_usage SET amount = 0 WHERE id = %s",
        "UPDATE billing_usage SET credit_minutes = 0, billable_minutes = 10 WHERE id = %s",
        "UPDATE billing_usage SET label = 'typo' WHERE id = %s",
        "DELETE FROM billing_usage WHERE id = %s",
        "UPDATE billing_usagedraw SET minutes = 1 WHERE usage_id = %s",
        "DELETE FROM billing_usagedraw WHERE usage_id = %s",
    ],
)
def test_raw_sql_cannot_rewrite_the_ledger(sql):
    usage = credit_usage()
    refused_by_the_database(sql, [usage.pk])
    fresh = Usage.objects.get(pk=usage.pk)
    assert (fresh.amount, fresh.credit_minutes, fresh.label) == (
        usage.amount,
        usage.credit_minutes,
        usage.label,
    )
    assert list(fresh.draws.values_list("minutes", flat=True)) == [DRAWN]


@pytest.mark.postgresql
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE billing_invoice SET total = 1 WHERE id = %s",
        "UPDATE billing_invoice SET debtor_name = 'Someone else' WHERE id = %s",
        "UPDATE billing_invoice SET status = 'draft' WHERE id = %s",
        "UPDATE billing_invoice SET reason = 'no reason' WHERE id = %s",
        "DELETE FROM billing_invoice WHERE id = %s",
        "UPDATE billing_invoiceline SET amount = 1 WHERE invoice_id = %s",
        "UPDATE billing_invoiceline SET text = 'other work' WHERE invoice_id = %s",
        "DELETE FROM billing_invoiceline WHERE invoice_id = %s",
        "UPDATE billing_invoicelineusage SET usage_id = usage_id"
        " WHERE line_id IN (SELECT id FROM billing_invoiceline WHERE invoice_id = %s)",
        "DELETE FROM billing_invoicelineusage"
        " WHERE line_id IN (SELECT id FROM billing_invoiceline WHERE invoice_id = %s)",
    ],
)
def test_raw_sql_cannot_rewrite_an_issued_invoice(creditor, sql):
    invoice = two_case_invoice()
    before = list(invoice.lines.values_list("position", "text", "amount"))
    refused_by_the_database(sql, [invoice.pk])
    fresh = Invoice.objects.get(pk=invoice.pk)
    assert (fresh.status, fresh.total, fresh.debtor_name, fresh.reason) == (
        InvoiceStatus.ISSUED,
        invoice.total,
        invoice.debtor_name,
        "",
    )
    assert list(fresh.lines.values_list("position", "text", "amount")) == before
    assert InvoiceLineUsage.objects.filter(line__invoice=fresh).count() == 2


@pytest.mark.postgresql
def test_raw_sql_cannot_rewrite_a_credit_note_nor_cancel_it(creditor):
    credit_note = invoice_cancel(invoice=two_case_invoice(), reason="Wrong address")
    for sql in (
        "UPDATE billing_invoice SET status = 'cancelled' WHERE id = %s",
        "UPDATE billing_invoice SET total = 0 WHERE id = %s",
        "DELETE FROM billing_invoiceline WHERE invoice_id = %s",
    ):
        refused_by_the_database(sql, [credit_note.pk])
    fresh = Invoice.objects.get(pk=credit_note.pk)
    assert (fresh.status, fresh.total) == (InvoiceStatus.ISSUED, credit_note.total)


@pytest.mark.postgresql
def test_raw_sql_may_still_do_what_the_app_does(creditor):
    """Drafts stay free; an issued invoice takes its PDF and its cancellation; a usage its
    invoicing mark."""
    invoice = two_case_invoice()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE billing_invoice SET pdf = 'invoices/x.pdf' WHERE id = %s", [invoice.pk]
        )
        cursor.execute(
            "UPDATE billing_invoice SET status = 'cancelled', reason = 'r' WHERE id = %s",
            [invoice.pk],
        )
        cursor.execute("UPDATE billing_usage SET invoiced_at = NULL")
    fresh = Invoice.objects.get(pk=invoice.pk)
    assert (fresh.pdf.name, fresh.status, fresh.reason) == ("invoices/x.pdf", "cancelled", "r")
    assert not Usage.objects.filter(invoiced_at__isnull=False).exists()

    customer = rental_customer(rent=Decimal("50.00"))
    make_usage(customer, 20)
    (draft,) = invoice_drafts(**MARCH, customers=[customer])
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE billing_invoiceline SET text = 'x' WHERE invoice_id = %s", [draft.pk]
        )
        cursor.execute("UPDATE billing_invoice SET total = 1 WHERE id = %s", [draft.pk])
        cursor.execute(
            "DELETE FROM billing_invoicelineusage"
            " WHERE line_id IN (SELECT id FROM billing_invoiceline WHERE invoice_id = %s)",
            [draft.pk],
        )
    assert draft.lines.get().text == "x"


@pytest.mark.postgresql
def test_the_app_flows_pass_the_triggers(creditor, settings, tmp_path):
    """Post, reverse, draft, trim, discard, issue, store the PDF, cancel, bill again."""
    settings.MEDIA_ROOT = tmp_path
    customer = rental_customer(rent=Decimal("50.00"))
    kept = make_usage(customer, 20)
    reversal = usage_reverse(usage=make_usage(customer, 10, ref="C-2"), reason="wrong case")
    assert reversal.reverses_id is not None
    make_usage(customer, 15, ref="C-3")

    (draft,) = invoice_drafts(**MARCH, customers=[customer])
    assert draft.lines.count() == 2
    draft = invoice_line_remove(line=draft.lines.get(work_ref="C-3"))
    invoice_discard(invoice=draft)
    (draft,) = invoice_drafts(**MARCH, customers=[customer])

    invoice = invoice_issue(invoice=draft, issued_on=date(2026, 4, 1), render_pdf=False)
    assert Usage.objects.get(pk=kept.pk).invoiced_at is not None
    invoice = invoice_pdf_stored(invoice=invoice)
    assert invoice.pdf.name.endswith(f"{invoice.number}.pdf")

    credit_note = invoice_cancel(invoice=invoice, reason="Wrong address")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CANCELLED and invoice.reason == "Wrong address"
    assert credit_note.total == -invoice.total
    assert list(credit_note.lines.values_list("amount", flat=True)) == [
        -a for a in invoice.lines.values_list("amount", flat=True)
    ]
    assert Usage.objects.get(pk=kept.pk).invoiced_at is None
    assert invoice_pdf_stored(invoice=credit_note).pdf.name

    (again,) = invoice_drafts(**MARCH, customers=[customer])
    assert InvoiceLine.objects.filter(invoice=again).count() == 2
