"""The telephone system's caller lookup: a ringing number, in any writing, gives the
customer, whether support may be given, its credit and whether to answer first."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.selectors import credit_balance
from tests.factories import ContactFactory, CustomerFactory, rental_customer, support_plus

from .conftest import system

pytestmark = pytest.mark.django_db

CALLER = "/api/v1/caller/"


@pytest.fixture
def phone_system(db):
    return system("caller", name="Telefonanlage")[0]


@pytest.mark.parametrize(
    "written",
    ["031 511 49 49", "+41 31 511 49 49", "0041315114949", "031/511.49.49", "(031) 511 49 49"],
)
def test_every_writing_of_the_number_finds_the_customer(phone_system, written):
    rental_customer(number="10001", name="Muster AG", phone="+41315114949")
    answer = phone_system.get(CALLER, {"phone": written}).json()
    assert answer["phone"] == "+41315114949"
    assert [m["customer"]["number"] for m in answer["matches"]] == ["10001"]
    assert answer["more"] is False


def test_the_answer_says_eligibility_credit_and_the_desk_page(phone_system):
    customer = rental_customer(
        number="10001",
        variant="profi",
        modules=("COFI", "SAL"),
        rent=Decimal("1440.00"),
        phone="+41315114949",
    )
    [match] = phone_system.get(CALLER, {"phone": "031 511 49 49"}).json()["matches"]
    balance = credit_balance(customer=customer, on=date(2026, 3, 2))
    assert match["eligible"] is True and match["variant"] == "profi"
    assert match["credit"]["remaining_minutes"] == balance.remaining == 25
    assert match["credit"]["valid_until"] == "2026-12-31"
    assert match["contact"] is None and match["priority"] is False
    assert match["desk_url"] == "http://testserver/customers/10001/"


def test_a_registered_support_plus_person_is_answered_first(phone_system):
    customer = rental_customer(number="10001", variant="premium", rent=Decimal("2400.00"))
    anna = ContactFactory(customer=customer, name="Anna Meier", phone="+41791234567")
    ContactFactory(customer=customer, name="Beat Keller", phone="+41797654321")
    support_plus(customer, [anna])
    [anna_calls] = phone_system.get(CALLER, {"phone": "079 123 45 67"}).json()["matches"]
    assert anna_calls["contact"]["name"] == "Anna Meier"
    assert anna_calls["support_plus"] is True
    assert anna_calls["registered_caller"] is True and anna_calls["priority"] is True
    [beat_calls] = phone_system.get(CALLER, {"phone": "079 765 43 21"}).json()["matches"]
    assert beat_calls["contact"]["name"] == "Beat Keller"
    assert beat_calls["registered_caller"] is False and beat_calls["priority"] is False


def test_an_unknown_number_has_no_match(phone_system):
    rental_customer(number="10001", phone="+41315114949")
    answer = phone_system.get(CALLER, {"phone": "044 000 00 00"}).json()
    assert answer == {"phone": "+41440000000", "more": False, "matches": []}


@pytest.mark.parametrize("phone", ["", "Muster AG", "12", "031 511 49 49 49 49 49"])
def test_what_is_no_phone_number_is_a_400_in_the_callers_language(phone_system, phone):
    response = phone_system.get(CALLER, {"phone": phone}, headers={"Accept-Language": "fr"})
    assert response.status_code == 400
    assert response.json() == {
        "phone": ["Indiquez un numéro de téléphone, par exemple 031 511 49 49 ou +41315114949."]
    }


def test_the_lookup_costs_the_same_queries_for_one_match_and_many(phone_system):
    shared = "+41315114949"
    first = rental_customer(number="10001", phone=shared)
    ContactFactory(customer=first, phone="+41791234567")
    phone_system.get(CALLER, {"phone": shared})  # the client's first use is noted once
    with CaptureQueriesContext(connection) as one:
        assert len(phone_system.get(CALLER, {"phone": shared}).json()["matches"]) == 1
    for n in range(9):  # a switchboard number: ten customers, some through a contact
        other = CustomerFactory(number=str(10002 + n))
        ContactFactory(customer=other, phone=shared)
    with CaptureQueriesContext(connection) as ten:
        assert len(phone_system.get(CALLER, {"phone": shared}).json()["matches"]) == 10
    # the token, customers and contacts by number, their status, their credit, who is
    # registered (only when a contact matched)
    assert len(one) == 5
    assert len(ten) == 6


def test_support_plus_minutes_count_only_for_a_registered_caller(phone_system):
    """R7: the Support+ minutes serve its registered persons. The customer's own number
    names nobody: the desk asks who is calling, and only the licence's credit is sure."""
    customer = rental_customer(
        number="10001", variant="premium", rent=Decimal("2400.00"), phone="+41315114949"
    )
    anna = ContactFactory(customer=customer, name="Anna Meier", phone="+41791234567")
    ContactFactory(customer=customer, name="Beat Keller", phone="+41797654321")
    support_plus(customer, [anna])
    balance = credit_balance(customer=customer, on=date(2026, 3, 2))
    licence_only = sum(b.remaining for b in balance.buckets if not b.registered_only)
    assert balance.remaining == licence_only + 120

    def credit(phone):
        [match] = phone_system.get(CALLER, {"phone": phone}).json()["matches"]
        return (
            match["priority"],
            match["credit"]["remaining_minutes"],
            match["credit"]["support_plus_remaining_minutes"],
        )

    assert credit("079 123 45 67") == (True, balance.remaining, 120)  # Anna, registered
    assert credit("079 765 43 21") == (False, licence_only, 0)  # Beat, not registered
    assert credit("031 511 49 49") == (False, licence_only, 0)  # the switchboard
