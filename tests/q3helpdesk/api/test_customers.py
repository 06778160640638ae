"""Customers as another system reads them: the same status and credit the desk shows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.selectors import credit_balance
from customers.selectors import support_status
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    HalfFareFactory,
    LicenceFactory,
    RentalPeriodFactory,
    make_usage,
    rental_customer,
    support_plus,
)

from .conftest import results

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)


def varied_customers():
    """Eligible with credit and some of it used, half-fare, Support+, no licence, and a
    rental that ended last year."""
    with_credit = rental_customer(
        number="10001", variant="profi", modules=("COFI", "SAL"), rent=Decimal("1440.00")
    )
    make_usage(with_credit, 10, on=date(2026, 3, 1))
    half = rental_customer(number="10002")
    HalfFareFactory(customer=half)
    plus = rental_customer(number="10003", variant="premium", rent=Decimal("2400.00"))
    anna = ContactFactory(customer=plus, name="Anna Meier")
    support_plus(plus, [anna])
    CustomerFactory(number="10004")
    rental_customer(number="10005", start=date(2025, 1, 1), end=date(2025, 12, 31))
    return [with_credit, half, plus]


def test_each_customer_has_the_desks_status_and_credit(api):
    varied_customers()
    rows = results(api.get("/api/v1/customers/"))
    assert [row["number"] for row in rows] == ["10001", "10002", "10003", "10004", "10005"]
    from customers.models import Customer

    for row in rows:
        customer = Customer.objects.get(number=row["number"])
        status = support_status(customer=customer, on=DAY)
        balance = credit_balance(customer=customer, on=DAY)
        assert row["eligible"] is status.eligible
        assert row["variant"] == status.variant
        assert row["half_fare"] is (status.half_fare is not None)
        assert row["support_plus"] is (status.support_plus is not None)
        assert row["credit"] == {
            "granted_minutes": balance.granted,
            "used_minutes": balance.used,
            "remaining_minutes": balance.remaining,
            "support_plus_remaining_minutes": sum(
                b.remaining for b in balance.buckets if b.registered_only
            ),
            "valid_until": balance.valid_to.isoformat() if balance.valid_to else None,
        }
    # The concept's figures: profi with two main modules (R3: 25 min), 10 used.
    assert rows[0]["credit"]["granted_minutes"] == 25
    assert rows[0]["credit"]["remaining_minutes"] == 15
    assert [row["eligible"] for row in rows] == [True, True, True, False, False]
    assert rows[2]["credit"]["support_plus_remaining_minutes"] == 120  # R7


def test_the_day_asked_decides_status_and_credit(api):
    varied_customers()
    rows = results(api.get("/api/v1/customers/", {"on": "2025-06-30"}))
    by_number = {row["number"]: row for row in rows}
    assert by_number["10005"]["eligible"] is True  # its rental ran in 2025
    assert by_number["10001"]["eligible"] is False
    assert by_number["10001"]["credit"]["granted_minutes"] == 0


def test_filters_by_eligibility_and_number(api):
    varied_customers()
    eligible = results(api.get("/api/v1/customers/", {"eligible": "false"}))
    assert [row["number"] for row in eligible] == ["10004", "10005"]
    one = results(api.get("/api/v1/customers/", {"number": "10002"}))
    assert [row["number"] for row in one] == ["10002"]
    maybe = api.get("/api/v1/customers/", {"eligible": "maybe"})
    assert maybe.status_code == 400 and list(maybe.json()) == ["eligible"]


@pytest.mark.parametrize("value", ["2026-02-30", "gestern", "31.02.2026"])
def test_a_day_that_is_no_day_is_a_400(api, value):
    response = api.get("/api/v1/customers/", {"on": value}, headers={"Accept-Language": "de"})
    assert response.status_code == 400
    assert list(response.json()) == ["on"]
    assert response.json()["on"] == ["Bitte ein gültiges Datum eingeben."]


def test_the_list_costs_the_same_queries_for_one_customer_and_thirty(api):
    rental_customer(number="20000")
    api.get("/api/v1/customers/")  # notes the client's first use (one write a minute)
    with CaptureQueriesContext(connection) as one:
        assert len(results(api.get("/api/v1/customers/"))) == 1
    for n in range(29):
        customer = rental_customer(number=str(20001 + n))
        make_usage(customer, 5)
    with CaptureQueriesContext(connection) as thirty:
        assert len(results(api.get("/api/v1/customers/"))) == 30
    assert len(thirty) == len(one) == 3  # the token, the customers, their credit


def test_one_customer_in_detail(api):
    varied_customers()
    response = api.get("/api/v1/customers/10003/", headers={"Accept-Language": "de"})
    assert response.status_code == 200
    body = response.json()
    assert body["on"] == "2026-03-02"
    assert body["customer"]["number"] == "10003"
    status = body["status"]
    assert status["eligible"] is True and status["code"] == "current_rental"
    assert status["reason"] == "Aktuelle Mietlizenz Premium, gültig bis 31.12.2026."
    assert status["support_plus"]["registered_persons"][0]["name"] == "Anna Meier"
    assert {b["source"] for b in body["credit"]["buckets"]} == {"licence", "support_plus"}
    assert body["credit"]["granted_minutes"] == sum(
        b["granted_minutes"] for b in body["credit"]["buckets"]
    )
    [licence] = body["licences"]
    assert licence["variant"] == "premium" and licence["modules"] == ["COFI"]
    assert licence["rental_periods"] == [
        {"start": "2026-01-01", "end": "2026-12-31", "annual_rent": "2400.00"}
    ]


def test_an_unknown_customer_is_404_in_the_callers_language(api):
    response = api.get("/api/v1/customers/99999/", headers={"Accept-Language": "de"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Kein Kunde hat die Nummer 99999."}


def test_the_detail_costs_the_same_queries_however_much_the_customer_has(api):
    big = rental_customer(number="10002", variant="premium", rent=Decimal("2400.00"))
    persons = [ContactFactory(customer=big) for _ in range(3)]
    HalfFareFactory(customer=big)  # more than one registered person needs it
    support_plus(big, persons)
    api.get("/api/v1/customers/10002/")  # the client's first use is noted once

    def counted() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/api/v1/customers/10002/").status_code == 200
        return len(queries)

    before = counted()
    for year in (2023, 2024, 2025):  # more licences, with their modules and periods
        licence = LicenceFactory(customer=big, modules=["COFI", "SAL"])
        RentalPeriodFactory(licence=licence, start=date(year, 1, 1), end=date(year, 12, 31))
    ContactFactory(customer=big)
    assert counted() == before == 10
