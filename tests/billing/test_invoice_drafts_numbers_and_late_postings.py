"""Drafts that go stale, numbering in date order, late postings, VAT changes, dead runs."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from billing.models import Invoice, InvoiceLine, InvoiceLineUsage, InvoiceRun, Tariff
from billing.services import (
    invoice_drafts,
    invoice_issue,
    invoice_line_remove,
    invoice_run_start,
    usage_reverse,
)
from tests.factories import (
    ContactFactory,
    RentalPeriodFactory,
    issued_invoice,
    make_invoice,
    make_usage,
    no_credit_customer,
    rental_customer,
)
from tests.factories import support_plus as subscribe_support_plus

pytestmark = pytest.mark.django_db

MARCH = {"period_start": date(2026, 3, 1), "period_end": date(2026, 3, 31)}
APRIL = {"period_start": date(2026, 4, 1), "period_end": date(2026, 4, 30)}


def test_a_draft_is_stale_when_its_case_got_another_posting(creditor):
    customer = no_credit_customer()
    postings = [make_usage(customer, 3) for _ in range(4)]  # charged 5, 5, 0, 5 (R5 on the case)
    assert [u.charged_minutes for u in postings] == [5, 5, 0, 5]
    draft = make_invoice(customer)
    usage_reverse(usage=postings[2])  # takes 5 billable minutes back from the case
    with pytest.raises(ValidationError, match="run the period again"):
        invoice_issue(invoice=draft, issued_on=date(2026, 4, 1))
    assert make_invoice(customer).lines.get().billable_minutes == 10


def test_a_case_billed_over_two_periods_follows_r12_on_each_line(creditor):
    customer = no_credit_customer()
    make_usage(customer, 5)
    issued_invoice(customer, issued_on=date(2026, 4, 1))
    make_usage(customer, 5, on=date(2026, 4, 7))  # the ledger steps 29.17 - 14.58 = 14.59
    line = make_invoice(customer, **APRIL).lines.get()
    assert (line.billable_minutes, line.amount) == (5, Decimal("14.58"))  # 5 × 175 / 60


def test_issued_invoices_resist_queryset_writes(creditor):
    customer = no_credit_customer()
    make_usage(customer, 20)
    invoice = issued_invoice(customer, issued_on=date(2026, 4, 1))
    for write in (
        lambda: Invoice.objects.filter(pk=invoice.pk).update(total=Decimal("1.00")),
        lambda: InvoiceLine.objects.filter(invoice=invoice).update(amount=Decimal("1.00")),
        lambda: InvoiceLine.objects.filter(invoice=invoice).delete(),
        lambda: InvoiceLineUsage.objects.filter(line__invoice=invoice).delete(),
        lambda: invoice.lines.get().usages.clear(),
        lambda: Invoice.objects.filter(pk=invoice.pk).transition(total=Decimal("1.00")),
    ):
        with pytest.raises(ValidationError, match="cannot be changed"), transaction.atomic():
            write()
    invoice.refresh_from_db()
    assert invoice.total == Decimal("63.05") and invoice.lines.get().usages.count() == 1
    assert invoice_drafts(**MARCH) == []


def test_late_postings_and_removed_lines_come_with_the_next_run(creditor):
    customer = rental_customer(variant="profi", rent=Decimal("50.00"))
    RentalPeriodFactory(  # the renewal: Support+ must lie in rental periods (R7)
        licence=customer.licences.get(), start=date(2027, 1, 1), end=date(2027, 12, 31)
    )
    subscribe_support_plus(
        customer, [ContactFactory(customer=customer)], start=date(2026, 3, 1), end=date(2027, 2, 28)
    )
    make_usage(customer, 20)
    march = make_invoice(customer)
    invoice_line_remove(line=march.lines.get(kind="support_plus"))
    invoice_issue(invoice=march, issued_on=date(2026, 4, 1))
    make_usage(customer, 10, ref="C-2", on=date(2026, 3, 30))  # logged after March was invoiced
    make_usage(customer, 5, ref="C-3", on=date(2026, 4, 8))
    april = make_invoice(customer, **APRIL)
    assert sorted((line.kind, line.work_ref, line.amount) for line in april.lines.all()) == [
        ("support_plus", "", Decimal("565.00")),
        ("work", "C-2", Decimal("29.17")),
        ("work", "C-3", Decimal("14.58")),
    ]


def test_invoices_of_a_year_are_numbered_in_date_order(creditor):
    first, second = no_credit_customer(), no_credit_customer()
    make_usage(first, 10)
    make_usage(second, 10)
    issued_invoice(first, issued_on=date(2026, 12, 31))
    with pytest.raises(ValidationError, match=r"dated 31.12.2026; date this one on that day"):
        issued_invoice(second, issued_on=date(2026, 4, 2))
    assert issued_invoice(second, issued_on=date(2027, 1, 4)).number == "2027-00001"


def test_a_period_with_a_vat_change_is_refused():
    tariff = Tariff.objects.get()
    tariff.pk = None
    tariff.valid_from, tariff.vat_rate = date(2026, 3, 15), Decimal("8.50")
    tariff.save()
    with pytest.raises(ValidationError, match=r"VAT rate changes within this period \(on 15.03"):
        invoice_drafts(**MARCH)
    assert invoice_drafts(period_start=date(2026, 3, 15), period_end=date(2026, 3, 31)) == []


def test_a_run_that_died_with_its_worker_does_not_block_the_period():
    stuck = invoice_run_start(**MARCH)
    InvoiceRun.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(hours=2))
    assert invoice_run_start(**MARCH).pk != stuck.pk


def test_a_reversal_the_rounding_absorbs_does_not_block_the_draft(creditor):
    customer = no_credit_customer()
    # charged 5, then 0 (R5 on the case)
    first, second = make_usage(customer, 3), make_usage(customer, 2)
    draft = make_invoice(customer)
    reversal = usage_reverse(usage=first)  # 2 minutes left: still 5 charged, nothing taken
    assert (reversal.charged_minutes, reversal.billable_minutes) == (0, 0)
    assert second.charged_minutes == 0
    invoice = invoice_issue(invoice=draft, issued_on=date(2026, 4, 1))
    line = invoice.lines.get()
    assert (line.billable_minutes, line.amount) == (5, Decimal("14.58"))  # 5 × 175 / 60
    assert invoice_drafts(**MARCH, customers=[customer]) == []  # nothing left behind
