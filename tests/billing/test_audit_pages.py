"""The read-only ledger and credit-grant pages (Billing and Manager) and the admin audit."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from billing.models import CreditGrant, Usage
from billing.services import record_usage, usage_reverse
from q3helpdesk.roles import Role
from tests.factories import make_usage, rental_customer

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)
PAGES = ["/billing/ledger/", "/billing/grants/"]


def _usages(n: int, customer=None):
    customer = customer or rental_customer(variant="profi", number="10001")
    for i in range(n):
        make_usage(customer, 7, ref=f"C-{i}")
    return customer


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role", [Role.BILLING, Role.MANAGER])
def test_billing_and_managers_read_the_ledger(client, user_with_role, role, path):
    _usages(2)
    client.force_login(user_with_role(role))
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role", [Role.INFOLINE, Role.SUPPORT, None])
def test_the_desk_has_no_ledger_pages(client, user_with_role, role, path):
    client.force_login(user_with_role(role))
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_users_go_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_ledger_filters_and_totals(client, user_with_role):
    a = _usages(3)  # 3 × 10 charged: 15 from credit (profi, one main module), 15 billable
    b = rental_customer(number="10002", rent=Decimal(0))
    record_usage(
        customer=b, activity="forms", minutes=20, performed_on=date(2026, 4, 1), work_ref="X-1"
    )
    client.force_login(user_with_role(Role.MANAGER))

    everything = client.get("/billing/ledger/", {"performed_from": "2026-01-01"})
    assert everything.context["totals"]["charged"] == 50

    only_a = client.get("/billing/ledger/", {"customer": a.number})
    assert only_a.context["totals"] == {
        "logged": 21,
        "charged": 30,
        "credit": 15,
        "billable": 15,
        "free": 0,
        "amount": Decimal("43.75"),  # 14.58 (5 billable min) + 29.17 (10 min)
    }
    assert str(only_a.context["totals"]["amount"]) == "43.75"  # to the centime, on any database
    by_activity = client.get("/billing/ledger/", {"activity": "forms"})
    assert [u.work_ref for u in by_activity.context["table"].data] == ["X-1"]
    by_period = client.get(
        "/billing/ledger/", {"performed_from": "2026-03-31", "performed_to": "2026-04-30"}
    )
    assert by_period.context["totals"]["charged"] == 20


def test_bad_filters_give_a_clear_error_and_no_rows(client, user_with_role):
    _usages(2)
    client.force_login(user_with_role(Role.BILLING))
    reversed_dates = client.get(
        "/billing/ledger/",
        {"performed_from": "2026-05-01", "performed_to": "2026-04-01"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert reversed_dates.status_code == 200
    assert "cannot be before the start date" in reversed_dates.content.decode()
    assert reversed_dates.context["totals"] is None  # no sums over a range that is not one
    assert list(reversed_dates.context["table"].data) == []
    not_a_date = client.get("/billing/ledger/", {"performed_from": "yesterday"})
    assert not_a_date.status_code == 200 and not not_a_date.context["filter"].is_valid()
    unknown_activity = client.get("/billing/ledger/", {"activity": "gardening"})
    assert unknown_activity.status_code == 200
    assert list(unknown_activity.context["table"].data) == []


def test_ledger_exports_the_filtered_rows_to_csv(client, user_with_role):
    customer = _usages(2)
    usage_reverse(usage=Usage.objects.filter(work_ref="C-0").get())
    client.force_login(user_with_role(Role.BILLING))
    response = client.get("/billing/ledger/", {"customer": customer.number, "_export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().strip().splitlines()
    assert len(lines) == 1 + 3  # header, two postings and one reversal
    assert "10001" in lines[1] and "C-" in lines[1]


def test_grants_page_shows_used_and_remaining(client, user_with_role):
    customer = _usages(2)  # profi single main module: 15 minutes, 15 used
    client.force_login(user_with_role(Role.MANAGER))
    response = client.get(
        "/billing/grants/", {"customer": customer.number, "valid_on": "2026-06-01"}
    )
    rows = list(response.context["table"].data)
    assert [(g.minutes, g.used, g.remaining) for g in rows] == [(15, 15, 0)]
    outside = client.get("/billing/grants/", {"valid_on": "2027-06-01"})
    assert list(outside.context["table"].data) == []
    # The page opens on the credit valid today; "Reset" sends no filter and does the same.
    with time_machine.travel(datetime(2027, 6, 1, 9, 0, tzinfo=ZoneInfo("Europe/Zurich"))):
        client.force_login(user_with_role(Role.MANAGER))  # a session of that day
        today = client.get("/billing/grants/")
    assert today.context["filter"].form["valid_on"].value() == "2027-06-01"
    assert list(today.context["table"].data) == []
    every = client.get("/billing/grants/", {"valid_on": ""})  # the form sent without a day
    assert [g.customer for g in every.context["table"].data] == [customer]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("rows", [1, 30])
def test_query_budget(client, user_with_role, django_assert_max_num_queries, path, rows):
    customer = rental_customer(variant="premium", number="10001")
    _usages(rows, customer)
    for n in range(rows):  # many customers and grants as well
        rental_customer(number=str(20000 + n))
    client.force_login(user_with_role(Role.MANAGER))
    with django_assert_max_num_queries(11):  # 11th: the activities' names (ledger)
        assert client.get(path).status_code == 200


def test_admin_shows_the_ledger_read_only(client, admin_user):
    customer = _usages(1)
    usage = Usage.objects.get()
    grant = CreditGrant.objects.get(customer=customer)
    client.force_login(admin_user)
    for path in (
        "/admin/billing/usage/",
        f"/admin/billing/usage/{usage.pk}/change/",
        "/admin/billing/creditgrant/",
        f"/admin/billing/creditgrant/{grant.pk}/change/",
    ):
        assert client.get(path).status_code == 200, path
    assert client.get("/admin/billing/usage/add/").status_code == 403
    assert client.get(f"/admin/billing/usage/{usage.pk}/delete/").status_code == 403
    assert (
        client.post(f"/admin/billing/usage/{usage.pk}/change/", {"logged_minutes": 1}).status_code
        == 403
    )
    assert client.get(f"/admin/billing/creditgrant/{grant.pk}/delete/").status_code == 403
    usage.refresh_from_db()
    assert usage.logged_minutes == 7


def test_the_ledger_opens_on_this_months_postings_with_their_totals(client, user_with_role):
    customer = _usages(2)  # 2 × 7 min on 02.03.2026
    april = make_usage(customer, 20, ref="C-9", on=date(2026, 4, 1))
    client.force_login(user_with_role(Role.MANAGER))
    with time_machine.travel(datetime(2026, 4, 15, 9, 0, tzinfo=ZoneInfo("Europe/Zurich"))):
        first = client.get("/billing/ledger/", HTTP_ACCEPT_LANGUAGE="fr")
    assert [row.record for row in first.context["table"].page.object_list] == [april]
    assert first.context["totals"]["charged"] == 20  # April's, not the ledger's whole
    assert first.context["filter"].form["performed_from"].value() == "2026-04-01"  # shown
    # A filter the user sets replaces the default view: no start date, no totals.
    by_case = client.get("/billing/ledger/", {"activity": "support"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert len(by_case.context["table"].page.object_list) == 3
    assert by_case.context["totals"] is None
    page = by_case.content.decode()
    assert 'data-testid="totals-hint"' in page and 'data-testid="totals"' not in page
    assert "Les totaux s’affichent" in page
    # One customer's postings are few: their totals are shown without a date.
    mine = client.get("/billing/ledger/", {"customer": customer.number})
    assert mine.context["totals"]["charged"] == 40
