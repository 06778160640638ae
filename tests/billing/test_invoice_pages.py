"""The invoice pages: runs, list, draft, issue, cancel and PDF (Billing works, Manager reads)."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from billing.models import Invoice, InvoiceRun, Usage
from billing.services import invoice_drafts, invoice_issue
from q3helpdesk.roles import Role
from tests.factories import billable_customer, make_invoice, messages_of

pytestmark = pytest.mark.django_db

MARCH = {"period_start": date(2026, 3, 1), "period_end": date(2026, 3, 31)}


def draft(**kwargs) -> Invoice:
    """The March draft of a :func:`billable_customer` made with ``kwargs``."""
    return make_invoice(billable_customer(**kwargs))


@pytest.fixture
def billing(client, user_with_role, settings):
    """A billing user whose browser asks for English pages (the messages are read in English)."""
    client.force_login(user_with_role(Role.BILLING))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


# --- roles ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.INFOLINE, Role.SUPPORT, None])
def test_the_desk_has_no_invoice_pages(client, user_with_role, role, creditor):
    invoice = draft()
    client.force_login(user_with_role(role))
    for path in ["/billing/invoices/", f"/billing/invoices/{invoice.pk}/"]:
        assert client.get(path).status_code == 403


def test_anonymous_users_go_to_login(client):
    response = client.get("/billing/invoices/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_managers_read_but_do_not_change_invoices(client, user_with_role, creditor):
    invoice = draft()
    client.force_login(user_with_role(Role.MANAGER))
    listing = client.get("/billing/invoices/")
    assert listing.status_code == 200 and "run_form" not in listing.context
    page = client.get(f"/billing/invoices/{invoice.pk}/")
    assert page.status_code == 200 and 'data-testid="issue-form"' not in page.content.decode()
    line = invoice.lines.get()
    for path, data in [
        (f"/billing/invoices/{invoice.pk}/issue/", {"issued_on": "2026-04-01"}),
        (f"/billing/invoices/{invoice.pk}/discard/", {}),
        (f"/billing/invoices/{invoice.pk}/cancel/", {"reason": "x"}),
        (f"/billing/invoices/{invoice.pk}/lines/{line.pk}/remove/", {}),
        ("/billing/invoices/runs/", {"period_start": "2026-03-01", "period_end": "2026-03-31"}),
    ]:
        assert client.post(path, data).status_code == 403, path
    invoice.refresh_from_db()
    assert invoice.status == "draft" and not InvoiceRun.objects.exists()


# --- the list ---------------------------------------------------------------------------


def test_list_filters_and_totals(billing, creditor):
    first = draft(minutes=20)  # 58.33 net, 63.05 total
    second = draft(minutes=10)  # 29.17 net, 31.55 total
    invoice_issue(invoice=first, issued_on=date(2026, 4, 1))
    everything = billing.get("/billing/invoices/", {"period_from": "2026-01-01"})
    assert everything.context["totals"] == {  # the draft is counted apart, not summed
        "count": 1,
        "drafts": 1,
        "net": Decimal("58.33"),
        "vat": Decimal("4.72"),
        "total": Decimal("63.05"),
    }
    drafts = billing.get("/billing/invoices/", {"status": "draft"})
    assert [row.record for row in drafts.context["table"].rows] == [second]
    by_customer = billing.get("/billing/invoices/", {"customer": first.customer.number})
    assert by_customer.context["totals"]["count"] == 1
    april = billing.get("/billing/invoices/", {"period_from": "2026-04-01"})
    assert april.context["totals"]["count"] + april.context["totals"]["drafts"] == 0
    page = everything.content.decode()  # sorting only where an index serves it
    assert "sort=issued_on" in page and "sort=net" not in page and "sort=due_on" not in page
    csv = billing.get("/billing/invoices/", {"period_from": "2026-01-01", "_export": "csv"})
    assert csv.status_code == 200 and "2026-00001" in csv.content.decode()


def test_a_reversed_period_filter_is_a_clear_error(billing):
    page = billing.get(
        "/billing/invoices/", {"period_from": "2026-03-31", "period_to": "2026-03-01"}
    )
    assert page.status_code == 200
    assert "The end date cannot be before the start date." in str(
        page.context["filter"].form.errors
    )


@pytest.mark.parametrize("rows", [1, 30])
def test_list_query_budget(billing, django_assert_max_num_queries, rows, creditor):
    customers = [billable_customer() for _ in range(rows)]
    invoice_drafts(**MARCH, customers=customers)
    with django_assert_max_num_queries(10):
        assert billing.get("/billing/invoices/").status_code == 200


@pytest.mark.parametrize("cases", [1, 30])
def test_detail_query_budget(billing, django_assert_max_num_queries, cases, creditor):
    invoice = draft(cases=cases)
    assert invoice.lines.count() == cases
    with django_assert_max_num_queries(9):  # 9th: the activities' names
        page = billing.get(f"/billing/invoices/{invoice.pk}/")
    assert page.content.decode().count('data-testid="line"') == cases


# --- a draft ----------------------------------------------------------------------------


def test_remove_a_line_then_issue(billing, creditor):
    invoice = draft(cases=2)
    first = invoice.lines.get(position=1)
    response = billing.post(f"/billing/invoices/{invoice.pk}/lines/{first.pk}/remove/")
    assert response.status_code == 302
    assert (
        "Line removed; its work is unbilled again."
        in billing.get(response["Location"]).content.decode()
    )
    invoice.refresh_from_db()
    assert invoice.lines.count() == 1 and invoice.net == Decimal("58.33")

    response = billing.post(f"/billing/invoices/{invoice.pk}/issue/", {"issued_on": "2026-04-01"})
    assert messages_of(response) == ["Invoice 2026-00001 is issued."]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number) == ("issued", "2026-00001")
    page = billing.get(f"/billing/invoices/{invoice.pk}/").content.decode()
    assert "2026-00001" in page and 'data-testid="cancel-form"' in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"issued_on": "01.04.2026x"}, "Enter a valid date."),
        ({"issued_on": "2099-01-01"}, "An invoice cannot be issued with a date in the future."),
        ({}, "This field is required."),
    ],
)
def test_bad_issue_input_changes_nothing(billing, creditor, data, message):
    invoice = draft()
    response = billing.post(f"/billing/invoices/{invoice.pk}/issue/", data)
    assert response.status_code == 302
    assert messages_of(response) == [message]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number) == ("draft", None)


def test_discard_a_draft(billing):
    invoice = draft()
    response = billing.post(f"/billing/invoices/{invoice.pk}/discard/")
    assert response.status_code == 302 and response["Location"] == "/billing/invoices/"
    assert not Invoice.objects.exists()
    assert billing.get(f"/billing/invoices/{invoice.pk}/").status_code == 404


def test_a_draft_has_no_pdf(billing):
    assert billing.get(f"/billing/invoices/{draft().pk}/pdf/").status_code == 404


# --- issued -----------------------------------------------------------------------------


def test_pdf_is_stored_once_and_served_ever_after(billing, creditor, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    invoice = invoice_issue(invoice=draft(), issued_on=date(2026, 4, 1))
    first = billing.get(f"/billing/invoices/{invoice.pk}/pdf/")
    assert first.status_code == 200 and first["Content-Type"] == "application/pdf"
    body = b"".join(first.streaming_content)
    assert body.startswith(b"%PDF")
    invoice.refresh_from_db()
    assert invoice.pdf.name == "invoices/2026/2026-00001.pdf"
    stored = (tmp_path / invoice.pdf.name).read_bytes()
    assert stored == body
    again = billing.get(f"/billing/invoices/{invoice.pk}/pdf/")
    assert b"".join(again.streaming_content) == body
    assert 'filename="2026-00001.pdf"' in again["Content-Disposition"]


def test_cancel_needs_a_reason_then_issues_a_credit_note(billing, creditor):
    invoice = invoice_issue(invoice=draft(), issued_on=date(2026, 4, 1))
    url = f"/billing/invoices/{invoice.pk}/cancel/"
    refused = billing.post(url, {"reason": ""})
    assert messages_of(refused) == ["This field is required."]
    billing.get(refused["Location"])  # the message is shown and gone
    invoice.refresh_from_db()
    assert invoice.status == "issued"

    response = billing.post(url, {"reason": "Wrong address"})
    note = Invoice.objects.get(kind="credit_note")
    assert response["Location"] == f"/billing/invoices/{note.pk}/"
    assert messages_of(response) == [
        f"Invoice 2026-00001 is cancelled by credit note {note.number}."
    ]
    page = billing.get(response["Location"]).content.decode()
    assert "2026-00001" in page and "Wrong address" in page
    assert Usage.objects.get().invoiced_at is None
    again = billing.post(url, {"reason": "twice"})
    assert messages_of(again) == ["Invoice 2026-00001 is already cancelled."]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"period_start": "2026-03-31", "period_end": "2026-03-01"},
            "The end of the period cannot be before its start.",
        ),
        ({"period_start": "2026-03-01", "period_end": "nope"}, "Enter a valid date."),
    ],
)
def test_bad_run_input_starts_nothing(billing, data, message):
    response = billing.post("/billing/invoices/runs/", data)
    assert messages_of(response) == [message]
    assert not InvoiceRun.objects.exists()


def test_a_lost_pdf_file_is_rendered_again_from_the_snapshot(billing, creditor, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    invoice = invoice_issue(invoice=draft(), issued_on=date(2026, 4, 1))
    assert billing.get(f"/billing/invoices/{invoice.pk}/pdf/").status_code == 200
    invoice.refresh_from_db()
    (tmp_path / invoice.pdf.name).unlink()
    again = billing.get(f"/billing/invoices/{invoice.pk}/pdf/")
    assert again.status_code == 200 and b"".join(again.streaming_content).startswith(b"%PDF")
    assert (tmp_path / invoice.pdf.name).exists()


def test_the_list_opens_on_last_months_invoices_and_later(billing, creditor):
    march = draft(minutes=20)
    invoice_issue(invoice=march, issued_on=date(2026, 4, 1))
    with time_machine.travel(datetime(2026, 5, 4, 9, 0, tzinfo=ZoneInfo("Europe/Zurich"))):
        april = billing.get("/billing/invoices/")
    assert april.context["filter"].form["period_from"].value() == "2026-04-01"
    assert list(april.context["table"].page.object_list) == []
    assert april.context["totals"] == {
        "count": 0,
        "drafts": 0,
        "net": Decimal("0.00"),
        "vat": Decimal("0.00"),
        "total": Decimal("0.00"),
    }
    with time_machine.travel(datetime(2026, 4, 2, 9, 0, tzinfo=ZoneInfo("Europe/Zurich"))):
        march_run = billing.get("/billing/invoices/")
    assert [row.record for row in march_run.context["table"].page.object_list] == [march]
    assert march_run.context["totals"]["count"] == 1
    # Without a bound (the form sent with every field empty) no totals are summed.
    unbounded = billing.get("/billing/invoices/", {"status": ""})
    assert unbounded.context["totals"] is None
    assert len(unbounded.context["table"].page.object_list) == 1
    assert 'data-testid="totals-hint"' in unbounded.content.decode()
