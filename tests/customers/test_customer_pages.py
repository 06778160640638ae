"""/customers/ and "New customer" with its duplicate warning (issue 14, item 2)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from customers.models import Contact, Customer
from customers.services import contact_create, customer_create
from q3helpdesk.roles import Role
from tests.factories import CustomerFactory, HalfFareFactory, rental_customer
from tests.factories import support_plus as subscribe_support_plus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("Europe/Zurich"))):
        yield date(2026, 3, 2)


@pytest.fixture
def desk(client, user_with_role):
    client.force_login(user_with_role(Role.INFOLINE))
    return client


def numbers(response) -> list[str]:
    return [row.record.number for row in response.context["table"].paginated_rows]


# --- access -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/customers/", "/customers/new/"])
def test_anonymous_goes_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_list_refused_without_a_role_and_new_customer_refused_to_billing(client, user_with_role):
    client.force_login(user_with_role(None))
    assert client.get("/customers/").status_code == 403
    client.force_login(user_with_role(Role.BILLING))
    assert client.get("/customers/").status_code == 200
    assert client.get("/customers/new/").status_code == 403


@pytest.mark.parametrize("role", [Role.INFOLINE, Role.SUPPORT, Role.MANAGER])
def test_list_for_the_roles(client, user_with_role, role):
    CustomerFactory()
    client.force_login(user_with_role(role))
    response = client.get("/customers/")
    assert response.status_code == 200 and 'data-testid="customer-table"' in response.text


# --- the list -------------------------------------------------------------------------------


@pytest.fixture
def customers():
    standard = rental_customer(number="20001", name="Atelier Rossier", city="Fribourg")
    profi = rental_customer(number="20002", name="Bürgi Elektro", variant="profi", city="Bern")
    expired = rental_customer(
        number="20003",
        name="Café du Lac",
        start=date(2025, 1, 1),
        end=date(2025, 12, 31),
        city="Lausanne",
    )
    prospect = CustomerFactory(number="20004", name="Zünd Gartenbau", city="Bern")
    HalfFareFactory(customer=profi)
    subscribe_support_plus(profi, [contact_create(customer=profi, name="Hans Bürgi")])
    return standard, profi, expired, prospect


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["20001", "20002", "20003", "20004"]),
        ({"eligible": "true"}, ["20001", "20002"]),
        ({"eligible": "false"}, ["20003", "20004"]),
        ({"variant": "profi"}, ["20002"]),
        ({"variant": "standard"}, ["20001"]),  # 20003's standard licence has ended
        ({"support_plus": "true"}, ["20002"]),
        ({"support_plus": "false"}, ["20001", "20003", "20004"]),
        ({"half_fare": "true"}, ["20002"]),
        ({"city": "BERN"}, ["20002", "20004"]),
        ({"sort": "-number"}, ["20004", "20003", "20002", "20001"]),
        ({"sort": "city"}, ["20002", "20004", "20001", "20003"]),
    ],
)
def test_list_filters_and_sorts(desk, customers, query, expected):
    assert numbers(desk.get("/customers/", query)) == expected


def test_list_shows_the_status_of_today(desk, customers):
    html = desk.get("/customers/", {"variant": "profi"}, HTTP_ACCEPT_LANGUAGE="en").text
    assert "Profi" in html and "★" in html and 'href="/customers/20002/"' in html


def test_list_exports_csv(desk, customers):
    response = desk.get("/customers/", {"eligible": "true", "_export": "csv"})
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8-sig")
    assert "20001" in text and "20002" in text and "20003" not in text


def test_list_is_paginated(desk):
    for _n in range(55):
        CustomerFactory()
    response = desk.get("/customers/")
    assert len(response.context["table"].page.object_list) == 50
    assert len(desk.get("/customers/", {"page": 2}).context["table"].page.object_list) == 5


@pytest.mark.parametrize("rows", [1, 30])
def test_list_query_count_is_bounded(desk, django_assert_max_num_queries, rows):
    for n in range(rows):
        rental_customer(variant="profi" if n % 2 else "standard")
    with django_assert_max_num_queries(9):
        response = desk.get("/customers/", {"eligible": "true", "variant": "profi"})
    assert response.status_code == 200


# --- a new customer, the caller its first contact, duplicates asked about -----------------


NEW = {
    "name": "Schreinerei Keller",
    "language": "de",
    "postcode": "3011",
    "city": "Bern",
    "phone": "031 381 22 10",
    "contact_name": "Ruth Keller",
    "contact_role": "Buchhaltung",
    "contact_phone": "079 412 36 58",
    "contact_email": "ruth@keller.example",
}


def test_new_customer_takes_the_caller_as_first_contact(desk):
    response = desk.post("/customers/new/?phone=0794123658", NEW)
    customer = Customer.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/customers/{customer.number}/"
    contact = customer.contacts.get()
    assert (contact.name, contact.role, contact.phone.as_e164, contact.email) == (
        "Ruth Keller",
        "Buchhaltung",
        "+41794123658",
        "ruth@keller.example",
    )


def test_the_unknown_number_is_the_callers(desk):
    form = desk.get("/customers/new/", {"phone": "079 412 36 58"}).context["form"]
    assert form["contact_phone"].value() == "079 412 36 58"
    assert desk.get("/customers/new/", {"email": "a@b.ch"}).context["form"][
        "contact_email"
    ].value() == ("a@b.ch")


def test_a_callers_phone_needs_a_name(desk):
    response = desk.post("/customers/new/", {**NEW, "contact_name": ""})
    assert response.status_code == 200 and "contact_name" in response.context["form"].errors
    assert not Customer.objects.exists()


def test_a_bad_contact_saves_nothing(desk):
    response = desk.post("/customers/new/", {**NEW, "contact_phone": "12"})
    assert response.status_code == 200 and response.context["form"].errors
    assert not Customer.objects.exists() and not Contact.objects.exists()


@pytest.mark.parametrize(
    ("existing", "reason"),
    [
        ({"name": "Keller AG", "phone": "+41313812210"}, "same phone number"),
        ({"name": "Keller AG", "email": "RUTH@keller.example"}, "same e-mail address"),
        ({"name": "Schreinerei Keller", "postcode": "3011"}, "same name and postcode"),
        ({"name": "Schreinerei Keller", "postcode": "3011", "city": "Bern"}, "same name"),
    ],
)
def test_a_possible_duplicate_is_shown_and_asked_about(desk, existing, reason):
    other = customer_create(number="30001", **existing)
    response = desk.post("/customers/new/", NEW, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and Customer.objects.count() == 1
    assert [d.customer for d in response.context["duplicates"]] == [other]
    assert 'data-testid="duplicate"' in response.text and reason in response.text
    assert 'name="confirm_duplicate"' in response.text
    response = desk.post("/customers/new/", {**NEW, "confirm_duplicate": "on"})
    assert response.status_code == 302 and Customer.objects.count() == 2


def test_a_contacts_number_is_a_duplicate_too(desk):
    other = customer_create(number="30001", name="Treuhand Meier")
    contact_create(customer=other, name="Ruth", phone="079 412 36 58")
    response = desk.post("/customers/new/", NEW)
    assert [d.customer for d in response.context["duplicates"]] == [other]


def test_same_name_elsewhere_is_no_duplicate(desk):
    customer_create(number="30001", name="Schreinerei Keller", postcode="8001")
    assert desk.post("/customers/new/", NEW).status_code == 302


def test_new_customer_form_query_count(desk, django_assert_max_num_queries):
    for _n in range(30):
        customer_create(name="Schreinerei Keller", postcode="3011")
    with django_assert_max_num_queries(8):
        response = desk.post("/customers/new/", NEW)
    assert len(response.context["duplicates"]) == 10
