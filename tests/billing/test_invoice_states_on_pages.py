"""The invoice pages show an invoice's, a line's and a run's state by asking the models
(``invoice.is_cancelled``, ``line.is_work``, ``run.is_done``…). A misspelt property renders
as false without an error, so every branch is looked at here."""

from datetime import date

import pytest

from billing.models import (
    Invoice,
    InvoiceLine,
    InvoiceLineKind,
    InvoiceRun,
    InvoiceRunStatus,
    InvoiceStatus,
)
from billing.services import invoice_cancel, invoice_issue
from q3helpdesk.roles import Role
from tests.factories import billable_customer, make_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def billing(client, user_with_role, settings):
    client.force_login(user_with_role(Role.BILLING))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def page(client, invoice: Invoice) -> str:
    return client.get(f"/billing/invoices/{invoice.pk}/").content.decode()


def status_badge(html: str) -> str:
    return html.split('data-testid="invoice-status"')[0].rsplit("<span", 1)[1]


# --- the models ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", InvoiceStatus.values)
def test_each_invoice_status_has_its_one_question(status):
    invoice = Invoice(status=status)
    answers = {"draft": invoice.is_draft, "issued": invoice.is_issued}
    answers["cancelled"] = invoice.is_cancelled
    assert [name for name, yes in answers.items() if yes] == [status]


@pytest.mark.parametrize("kind", InvoiceLineKind.values)
def test_only_work_lines_are_work(kind):
    assert InvoiceLine(kind=kind).is_work == (kind == "work")


@pytest.mark.parametrize("status", InvoiceRunStatus.values)
def test_a_done_or_failed_run_is_finished(status):
    run = InvoiceRun(status=status)
    assert (run.is_done, run.is_failed) == (status == "done", status == "failed")
    assert run.finished == (run.is_done or run.is_failed)


# --- the pages ------------------------------------------------------------------------------


def test_a_draft_is_marked_as_draft_with_its_work_lines(billing, creditor):
    invoice = make_invoice(billable_customer(minutes=20))
    html = page(billing, invoice)
    assert "text-bg-warning" in status_badge(html)
    line = html.split('data-testid="line"')[1].split("</tr>")[0]
    assert "20 min" in line and "/h" in line and "×" not in line  # minutes at an hourly rate
    assert 'data-testid="cancel-form"' not in html


def test_an_issued_invoice_may_be_cancelled_and_then_says_by_what(billing, creditor):
    invoice = invoice_issue(
        invoice=make_invoice(billable_customer()), issued_on=date(2026, 4, 1), render_pdf=False
    )
    html = page(billing, invoice)
    assert "text-bg-success" in status_badge(html) and 'data-testid="cancel-form"' in html

    note = invoice_cancel(invoice=invoice, reason="Wrong customer")
    html = page(billing, invoice)
    assert "text-bg-secondary" in status_badge(html)
    assert f"Cancelled by credit note {note.number}. Reason: Wrong customer" in html
    assert 'data-testid="cancel-form"' not in html

    html = page(billing, note)  # a credit note is issued, but is not cancelled in turn
    assert "text-bg-success" in status_badge(html) and 'data-testid="cancel-form"' not in html
    assert f"Cancels invoice {invoice.number}." in html


def test_the_list_shows_a_done_run_with_its_drafts_and_a_failed_run_in_red(billing):
    period = {"period_start": date(2026, 3, 1), "period_end": date(2026, 3, 31)}
    InvoiceRun.objects.create(**period, status=InvoiceRunStatus.DONE, drafts=2)
    InvoiceRun.objects.create(**period, status=InvoiceRunStatus.FAILED, error="No tariff")
    html = billing.get("/billing/invoices/").content.decode()
    done = html.split('data-status="done"')[1].split('data-testid="run"')[0]
    assert "2 drafts" in done and "Show the drafts" in done and "bg-danger" not in done
    failed = html.split('data-status="failed"')[1].split('data-testid="run"')[0]
    assert "bg-danger" in failed and "No tariff" in failed and "Show the drafts" not in failed
