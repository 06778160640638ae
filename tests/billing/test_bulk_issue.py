"""Issuing several checked drafts at once from the invoice list, and the list refreshing
when a run finishes."""

import re
from datetime import date

import pytest

from billing.models import Invoice, InvoiceRun
from billing.services import invoice_drafts, invoice_issue
from q3helpdesk.roles import Role
from tests.billing.test_invoice_pages import MARCH
from tests.factories import billable_customer, messages_of

pytestmark = pytest.mark.django_db

URL = "/billing/invoices/issue/"
SINCE = {"period_from": "2026-01-01"}  # the list shows last month on by default


@pytest.fixture
def billing(client, user_with_role, settings):
    client.force_login(user_with_role(Role.BILLING))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def drafts(n: int) -> list[Invoice]:
    customers = [billable_customer() for _ in range(n)]
    return sorted(invoice_drafts(**MARCH, customers=customers), key=lambda i: i.pk)


def test_anonymous_users_go_to_login(client):
    response = client.post(URL, {"issued_on": "2026-04-01"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role", [Role.MANAGER, Role.INFOLINE, Role.SUPPORT])
def test_other_roles_cannot_issue(client, user_with_role, role, creditor):
    (invoice,) = drafts(1)
    client.force_login(user_with_role(role))
    assert client.post(URL, {"invoices": [invoice.pk], "issued_on": "2026-04-01"}).status_code == (
        403
    )
    invoice.refresh_from_db()
    assert invoice.status == "draft"


def test_each_checked_draft_is_issued_and_a_refused_one_is_reported(billing, creditor):
    first, second, third = drafts(3)
    invoice_issue(invoice=second, issued_on=date(2026, 4, 1))  # issued meanwhile elsewhere
    response = billing.post(
        URL,
        {
            "invoices": [third.pk, first.pk, second.pk],
            "issued_on": "2026-04-02",
            "next": "/billing/invoices/?status=draft",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/billing/invoices/?status=draft"
    first.refresh_from_db()
    third.refresh_from_db()
    # the oldest draft gets the lower number, whatever the order of the check boxes
    assert (first.number, third.number) == ("2026-00002", "2026-00003")
    assert first.issued_on == third.issued_on == date(2026, 4, 2)
    shown = messages_of(response)
    assert len(shown) == 2
    assert shown[0].startswith(f"Not issued: {second.customer.number} ")
    assert "Invoice 2026-00001 is already issued" in shown[0]
    assert shown[1] == "2 invoices issued: 2026-00002, 2026-00003."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"issued_on": "2026-04-01"}, "Check the drafts to issue first."),
        ({"invoices": ["abc"], "issued_on": "2026-04-01"}, "“abc” is not a valid value."),
        ({"invoices": ["999999"], "issued_on": "2026-04-01"}, "Select a valid choice."),
        # An id no database column holds: a clear error, not a 500.
        (
            {"invoices": ["9999999999999999999999999"], "issued_on": "2026-04-01"},
            "is not a valid value.",
        ),
        ({"invoices": ["²"], "issued_on": "2026-04-01"}, "is not a valid value."),
        ({"issued_on": "2099-01-01"}, "An invoice cannot be issued with a date in the future."),
        ({"issued_on": "01.04.2026x"}, "Enter a valid date."),
    ],
)
def test_bad_input_issues_nothing(billing, creditor, data, message):
    (invoice,) = drafts(1)
    data = {"invoices": [invoice.pk], **data}
    if "invoices" in data and data["invoices"] == [invoice.pk] and message.startswith("Check"):
        data.pop("invoices")
    response = billing.post(URL, data)
    assert response.status_code == 302 and response["Location"] == "/billing/invoices/"
    assert any(message in m for m in messages_of(response)), messages_of(response)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number) == ("draft", None)


def test_a_foreign_next_address_is_not_followed(billing, creditor):
    (invoice,) = drafts(1)
    response = billing.post(
        URL, {"invoices": [invoice.pk], "issued_on": "2026-04-01", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/billing/invoices/"


def test_the_list_offers_check_boxes_on_drafts_only_to_billing(
    billing, client, user_with_role, creditor
):
    first, second = drafts(2)
    invoice_issue(invoice=second, issued_on=date(2026, 4, 1))
    page = billing.get("/billing/invoices/", SINCE).content.decode()
    assert 'data-testid="bulk-issue-form"' in page and 'data-confirm="Issue the checked' in page
    assert f'name="invoices" value="{first.pk}"' in page
    assert f'name="invoices" value="{second.pk}"' not in page
    csv = billing.get("/billing/invoices/", {**SINCE, "_export": "csv"}).content.decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("Number;")  # the check boxes are not exported
    client.force_login(user_with_role(Role.MANAGER))
    read_only = client.get("/billing/invoices/", SINCE).content.decode()
    assert 'name="invoices"' not in read_only and "bulk-issue-form" not in read_only


@pytest.mark.parametrize("rows", [1, 30])
def test_list_with_drafts_to_check_stays_within_its_query_budget(
    billing, django_assert_max_num_queries, rows, creditor
):
    drafts(rows)
    with django_assert_max_num_queries(10):
        page = billing.get("/billing/invoices/", SINCE)
    assert page.content.decode().count('name="invoices" value=') == rows


def test_a_finished_run_reloads_the_list_a_running_one_keeps_polling(billing):
    running = InvoiceRun.objects.create(**MARCH, status="running", customers_total=4)
    done = InvoiceRun.objects.create(**MARCH, status="done", drafts=2)
    polled = billing.get(f"/billing/invoices/runs/{running.pk}/", HTTP_HX_REQUEST="true")
    assert "HX-Refresh" not in polled and 'hx-trigger="every 1s"' in polled.content.decode()
    finished = billing.get(f"/billing/invoices/runs/{done.pk}/", HTTP_HX_REQUEST="true")
    assert finished["HX-Refresh"] == "true"
    assert "hx-trigger" not in finished.content.decode()


# --- every destructive or final action asks first ---------------------------------------


def test_the_invoice_pages_ask_before_final_actions_in_french(client, user_with_role, creditor):
    """The French apostrophe ("jusqu'à") once broke ``confirm('…')``; a data- attribute
    holds any text (desk.js asks)."""
    invoice = drafts(1)[0]
    client.force_login(user_with_role(Role.BILLING))
    page = client.get(f"/billing/invoices/{invoice.pk}/").content.decode()
    assert "onsubmit" not in page
    asks = re.findall(r'<form [^>]*data-confirm="([^"]+)"', page)
    assert len(asks) == 3  # remove the line, issue, discard
    assert any("jusqu'à la prochaine facturation." in text for text in asks), asks
    invoice_issue(invoice=invoice, issued_on=date(2026, 4, 1))
    issued = client.get(f"/billing/invoices/{invoice.pk}/").content.decode()
    assert re.search(r'data-testid="cancel-form"\s+data-confirm="[^"]+"', issued)
