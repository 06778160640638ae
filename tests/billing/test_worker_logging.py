"""The worker runs unseen: what it did, and what went wrong, reaches the log."""

import logging
from datetime import date
from decimal import Decimal

import pytest

from billing.models import InvoiceRun
from billing.services import record_usage
from billing.tasks import render_invoice_pdf, run_invoice_drafts
from tests.factories import rental_customer

pytestmark = pytest.mark.django_db


def test_a_run_logs_its_start_and_its_drafts(caplog):
    customer = rental_customer(rent=Decimal("50.00"))
    record_usage(
        customer=customer,
        activity="support",
        minutes=20,
        performed_on=date(2026, 3, 2),
        work_ref="C-1",
    )
    run = InvoiceRun.objects.create(period_start=date(2026, 3, 1), period_end=date(2026, 3, 31))
    with caplog.at_level(logging.INFO, logger="billing.tasks"):
        assert run_invoice_drafts.call(run.pk) == "done"
    assert f"Invoice run {run.pk} (2026-03-01 to 2026-03-31) started" in caplog.text
    assert f"Invoice run {run.pk} done: 1 drafts" in caplog.text


def test_a_refused_run_is_a_warning_in_the_log(caplog):
    run = InvoiceRun.objects.create(period_start=date(2000, 1, 1), period_end=date(2000, 1, 31))
    with caplog.at_level(logging.INFO, logger="billing.tasks"):
        assert run_invoice_drafts.call(run.pk) == "failed"
    (record,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert f"Invoice run {run.pk} refused" in record.getMessage()
    assert "tariff" in record.getMessage()


def test_a_pdf_for_a_vanished_invoice_is_a_warning(caplog):
    with caplog.at_level(logging.INFO, logger="billing.tasks"):
        assert render_invoice_pdf.call(987654) == "missing"
    assert "invoice 987654 not rendered" in caplog.text
