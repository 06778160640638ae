"""Cases, posted time and invoices: paged by cursor, filtered by Zurich days, refused
with a reason when a filter makes no sense."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Invoice
from billing.services import invoice_cancel
from cases.selectors import case_costs
from q3helpdesk.api.pagination import IdCursorPagination
from tests.factories import (
    billable_customer,
    issued_invoice,
    make_case,
    make_company,
    make_invoice,
    make_usage,
    no_credit_customer,
    rental_customer,
)

from .conftest import ZURICH, results

pytestmark = pytest.mark.django_db


def every_page(api, url: str, params: dict, *, between=None) -> list[dict]:
    """Follow ``next`` to the end; ``between`` runs after each page (the desk writing)."""
    rows: list[dict] = []
    response = api.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        rows += body["results"]
        if between is not None:
            between()
        if not body["next"]:
            return rows
        response = api.get(body["next"])


def test_pages_give_every_case_once_while_the_desk_opens_more(api):
    customer = rental_customer(number="10001")
    for n in range(7):
        make_case(customer, subject=f"Frage {n}")
    opened = []

    def desk_opens_one():
        opened.append(make_case(customer, subject="Neu"))

    rows = every_page(api, "/api/v1/cases/", {"page_size": 3}, between=desk_opens_one)
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids))  # none twice
    assert set(ids) >= {case.pk for case in customer.cases.exclude(pk__in=[c.pk for c in opened])}
    assert ids == sorted(ids)


def test_a_page_is_never_longer_than_the_bound(api, monkeypatch):
    customer = rental_customer(number="10001")
    for n in range(4):
        make_case(customer, subject=f"Frage {n}")
    monkeypatch.setattr(IdCursorPagination, "max_page_size", 3)
    assert len(results(api.get("/api/v1/cases/", {"page_size": 100}))) == 3
    assert len(results(api.get("/api/v1/cases/", {"page_size": 2}))) == 2
    # Not a number: the default size (100), so all four.
    assert len(results(api.get("/api/v1/cases/", {"page_size": "abc"}))) == 4


def test_a_broken_cursor_is_404_not_an_error(api):
    assert api.get("/api/v1/cases/", {"cursor": "!!not base64!!"}).status_code == 404


def test_cases_are_filtered_by_the_zurich_day_they_were_recorded(api, desk_now):
    customer = rental_customer(number="10001")
    desk_now.move_to(datetime(2026, 3, 1, 23, 30, tzinfo=ZURICH))  # 22:30 UTC
    late = make_case(customer, subject="Spät am Sonntag")
    desk_now.move_to(datetime(2026, 3, 2, 0, 30, tzinfo=ZURICH))  # 23:30 UTC the day before
    early = make_case(customer, subject="Früh am Montag")
    sunday = results(
        api.get("/api/v1/cases/", {"created_from": "2026-03-01", "created_to": "01.03.2026"})
    )
    monday = results(api.get("/api/v1/cases/", {"created_from": "2026-03-02"}))
    assert [row["id"] for row in sunday] == [late.pk]
    assert [row["id"] for row in monday] == [early.pk]


def test_a_case_carries_its_cost_and_no_text(api):
    customer = no_credit_customer(number="10001")
    case = make_case(customer, subject="Lohnlauf", description="Geheim: Passwort 1234")
    make_usage(customer, 20, ref=case.reference)
    [row] = results(api.get("/api/v1/cases/", {"customer": "10001"}))
    cost = case_costs([case])[case.reference]
    assert row["billable_minutes"] == cost["billable"] == 20
    assert row["amount"] == f"{cost['amount']:.2f}"
    assert "Geheim" not in str(row) and "description" not in row
    detail = api.get(f"/api/v1/cases/{case.pk}/").json()
    assert detail == row


def test_a_reversed_range_is_a_400_that_says_why(api):
    response = api.get(
        "/api/v1/cases/",
        {"created_from": "2026-03-02", "created_to": "2026-03-01"},
        headers={"Accept-Language": "de"},
    )
    assert response.status_code == 400
    assert response.json() == {
        "created_to": ["Das Enddatum darf nicht vor dem Beginndatum liegen."]
    }


def test_case_filters_refuse_unknown_choices(api):
    response = api.get("/api/v1/cases/", {"status": "lost"})
    assert response.status_code == 400 and list(response.json()) == ["status"]


def test_posted_time_needs_a_range_of_at_most_a_year(api):
    assert api.get("/api/v1/usages/").status_code == 400
    too_long = api.get(
        "/api/v1/usages/",
        {"performed_from": "2025-01-01", "performed_to": "2026-01-02"},
        headers={"Accept-Language": "en"},
    )
    assert too_long.status_code == 400
    assert too_long.json() == {"performed_to": ["Ask for at most 366 days of posted time at once."]}
    leap_year = {"performed_from": "2024-01-01", "performed_to": "2024-12-31"}
    assert api.get("/api/v1/usages/", leap_year).status_code == 200


def test_posted_time_of_a_range_and_a_customer(api):
    customer = rental_customer(number="10001")
    other = rental_customer(number="10002")
    inside = make_usage(customer, 10, on=date(2026, 3, 2))
    make_usage(customer, 5, on=date(2026, 2, 27))
    make_usage(other, 5, on=date(2026, 3, 2))
    rows = results(
        api.get(
            "/api/v1/usages/",
            {"performed_from": "2026-03-01", "performed_to": "2026-03-31", "customer": "10001"},
        )
    )
    assert [row["id"] for row in rows] == [inside.pk]
    assert rows[0]["charged_minutes"] == 10
    assert rows[0]["credit_minutes"] == inside.credit_minutes
    assert rows[0]["billable_minutes"] == inside.billable_minutes
    assert rows[0]["amount"] == f"{inside.amount:.2f}" and rows[0]["rate"] == f"{inside.rate:.2f}"


@pytest.fixture
def invoiced(db, desk_now):
    desk_now.move_to(datetime(2026, 4, 2, 9, 0, tzinfo=ZURICH))
    make_company()
    issued = issued_invoice(billable_customer(number="10001"), issued_on=date(2026, 4, 1))
    draft = make_invoice(billable_customer(number="10002"))
    return issued, draft


def test_invoices_list_the_issued_ones_only(api, invoiced, desk_now):
    issued, draft = invoiced
    rows = results(api.get("/api/v1/invoices/"))
    assert [row["number"] for row in rows] == [issued.number]
    row = rows[0]
    assert row["total"] == f"{issued.total:.2f}" and row["customer"] == "10001"
    assert row["pdf"] == f"http://testserver/api/v1/invoices/{issued.number}/pdf/"
    assert results(api.get("/api/v1/invoices/", {"issued_from": "2026-04-02"})) == []
    assert api.get(f"/api/v1/invoices/{issued.number}/").json() == row
    assert draft.number is None


def test_the_pdf_is_the_stored_one(api, invoiced, settings, tmp_path):
    """Rendered and stored on the first download if the worker has not done it yet, as on
    the invoice's page: the file the customer got and the API's are the same bytes."""
    settings.MEDIA_ROOT = tmp_path
    issued, _ = invoiced
    response = api.get(f"/api/v1/invoices/{issued.number}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    issued = Invoice.objects.get(pk=issued.pk)
    with issued.pdf.open("rb") as stored:
        assert b"".join(response.streaming_content) == stored.read()
    assert api.get("/api/v1/invoices/2026-99999/pdf/").status_code == 404


def test_lists_cost_the_same_queries_for_one_row_and_thirty(api, desk_now):
    customer = rental_customer(number="10001")
    make_case(customer)
    make_usage(customer, 5)
    api.get("/api/v1/cases/")  # the client's first use is noted once

    def counted(url, params=None):
        with CaptureQueriesContext(connection) as queries:
            assert results(api.get(url, params or {}))
        return len(queries)

    usages = {"performed_from": "2026-01-01", "performed_to": "2026-12-31"}
    before = (counted("/api/v1/cases/"), counted("/api/v1/usages/", usages))
    for _n in range(29):
        case = make_case(customer)
        make_usage(customer, 5, ref=case.reference)
    desk_now.shift(timedelta(seconds=1))
    after = (counted("/api/v1/cases/"), counted("/api/v1/usages/", usages))
    assert before == after == (3, 2)


@pytest.mark.parametrize(
    "cursor",
    [
        "cD1hYmM=",  # p=abc: a position that is no id
        "cD0xZTQwMA==",  # p=1e400
        "cD0tNQ==",  # p=-5
        "cD05OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk=",  # p beyond any 64-bit id
    ],
)
def test_a_forged_cursor_is_404_on_every_list(api, cursor):
    usages = {"performed_from": "2026-01-01", "performed_to": "2026-12-31"}
    for path, params in [
        ("/api/v1/customers/", {}),
        ("/api/v1/cases/", {}),
        ("/api/v1/usages/", usages),
        ("/api/v1/invoices/", {}),
    ]:
        response = api.get(path, {**params, "cursor": cursor}, headers={"Accept-Language": "fr"})
        assert response.status_code == 404, (path, response.status_code)
        assert response.json() == {"detail": "Curseur non valide"}


# Dates at the edges of the calendar and beyond the desk's bounds, and what is no date.
ODD_DATES = ["0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01", "2026-02-30", "x", "-1"]
DATE_FILTERS = [
    ("/api/v1/customers/", "on", {}),
    ("/api/v1/cases/", "created_from", {}),
    ("/api/v1/cases/", "created_to", {}),
    ("/api/v1/usages/", "performed_from", {"performed_to": "2026-12-31"}),
    ("/api/v1/usages/", "performed_to", {"performed_from": "2026-01-01"}),
    ("/api/v1/invoices/", "issued_from", {}),
    ("/api/v1/invoices/", "issued_to", {}),
    ("/api/v1/caller/", "on", {"phone": "031 511 49 49"}),
]


@pytest.mark.parametrize(("path", "name", "params"), DATE_FILTERS)
def test_an_odd_date_is_a_400_that_names_its_field(api, path, name, params):
    rental_customer(number="10001", phone="+41315114949")
    for value in ODD_DATES:
        response = api.get(path, {**params, name: value})
        if name == "on" and value in ("0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01"):
            # a day to read the status on: any real day answers
            assert response.status_code == 200, (path, name, value, response.content)
            continue
        assert response.status_code == 400, (path, name, value, response.status_code)
        assert list(response.json()) == [name], (path, name, value, response.json())


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/cases/", {"status": "lost"}),
        ("/api/v1/cases/", {"channel": "fax"}),
        ("/api/v1/usages/", {"activity": "golf"}),
        ("/api/v1/invoices/", {"status": "draft"}),
        ("/api/v1/invoices/", {"kind": "gift"}),
    ],
)
def test_an_unknown_choice_is_a_400(api, path, params):
    usages = {"performed_from": "2026-01-01", "performed_to": "2026-12-31"}
    response = api.get(path, {**usages, **params})
    assert response.status_code == 400 and list(response.json()) == list(params)


def test_the_invoice_list_costs_the_same_queries_for_one_invoice_and_many(api, desk_now):
    desk_now.move_to(datetime(2026, 4, 2, 9, 0, tzinfo=ZURICH))
    make_company()
    issued_invoice(billable_customer(number="10001"), issued_on=date(2026, 4, 1), render_pdf=False)
    api.get("/api/v1/invoices/")  # the client's first use is noted once
    with CaptureQueriesContext(connection) as one:
        assert len(results(api.get("/api/v1/invoices/"))) == 1
    more = [
        issued_invoice(
            billable_customer(number=str(10002 + n)), issued_on=date(2026, 4, 1), render_pdf=False
        )
        for n in range(5)
    ]
    invoice_cancel(invoice=more[0], reason="Doppelt")
    with CaptureQueriesContext(connection) as many:
        rows = results(api.get("/api/v1/invoices/"))
    assert len(rows) == 7  # six invoices and the credit note
    cancelled = [row for row in rows if row["status"] == "cancelled"]
    assert len(cancelled) == 1 and cancelled[0]["cancelled_by"] is not None
    note = [row for row in rows if row["kind"] == "credit_note"]
    assert note[0]["cancels"] == cancelled[0]["number"]
    assert note[0]["number"] == cancelled[0]["cancelled_by"]
    assert len(many) == len(one) == 2  # the token, the invoices
