"""Issuing without queueing the PDF (historic invoices in bulk): the download renders it."""

from datetime import date
from decimal import Decimal

import pytest
from django_tasks_db.models import DBTaskResult

from billing.models import Invoice, InvoiceStatus
from billing.services import invoice_issue
from q3helpdesk.roles import Role
from tests.factories import make_invoice, make_usage, no_credit_customer

pytestmark = pytest.mark.django_db

MARCH = {"period_start": date(2026, 3, 1), "period_end": date(2026, 3, 31)}


def draft() -> Invoice:
    customer = no_credit_customer()
    make_usage(customer, 20, label="Question")
    return make_invoice(customer)


def test_issuing_queues_the_pdf_rendering_after_the_commit(
    creditor, django_capture_on_commit_callbacks
):
    invoice = draft()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        invoice_issue(invoice=invoice, issued_on=date(2026, 4, 1))
    assert len(callbacks) == 1
    assert DBTaskResult.objects.count() == 1


def test_issuing_without_rendering_queues_nothing_but_issues_the_same(
    creditor, django_capture_on_commit_callbacks
):
    invoice = draft()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        invoice = invoice_issue(invoice=invoice, issued_on=date(2026, 4, 1), render_pdf=False)
    assert callbacks == []
    assert not DBTaskResult.objects.exists()
    assert (invoice.status, invoice.number, invoice.total) == (
        InvoiceStatus.ISSUED,
        "2026-00001",
        Decimal("63.05"),  # 20 min at CHF 175.00/h, plus VAT
    )
    assert not invoice.pdf


def test_a_pdf_not_rendered_at_the_issue_is_rendered_on_the_first_download(
    client, user_with_role, creditor, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    invoice = invoice_issue(invoice=draft(), issued_on=date(2026, 4, 1), render_pdf=False)
    client.force_login(user_with_role(Role.BILLING))
    response = client.get(f"/billing/invoices/{invoice.pk}/pdf/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    invoice.refresh_from_db()
    assert (tmp_path / invoice.pdf.name).is_file()
