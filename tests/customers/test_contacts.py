"""Contacts added and edited from the customer page; the caller found by a contact's
number or address is preselected on the new case (issue 14, item 2)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from cases.models import Case
from customers.models import Contact
from customers.services import contact_create, contact_update, customer_create
from q3helpdesk.roles import Role
from tests.factories import ContactFactory, rental_customer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def desk_today():
    with time_machine.travel(datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("Europe/Zurich"))):
        yield


@pytest.fixture
def desk(client, user_with_role):
    client.force_login(user_with_role(Role.INFOLINE))
    return client


@pytest.fixture
def customer():
    return rental_customer(number="10001", name="Bürgi Elektro GmbH", phone="031 381 22 10")


# --- services -------------------------------------------------------------------------------


def test_contact_create_keeps_its_keyword_api(customer):
    contact = contact_create(customer=customer, name="Hans Bürgi", phone="079 412 36 58")
    assert (contact.role, contact.language, contact.fold_key) == ("", "", "hans burgi")


def test_contact_with_role_and_language(customer):
    contact = contact_create(
        customer=customer, name=" Anna Meier ", role="Buchhaltung", language="de", email="a@b.ch"
    )
    assert (contact.name, contact.role, contact.language) == ("Anna Meier", "Buchhaltung", "de")


@pytest.mark.parametrize(
    "bad",
    [
        {"name": ""},
        {"name": "X", "language": "it"},
        {"name": "X", "phone": "12"},
        {"name": "X", "email": "not-an-address"},
        {"name": "X", "role": "r" * 81},
        {"name": "X", "role": 7},
    ],
)
def test_bad_contact_input_is_refused(customer, bad):
    with pytest.raises(ValidationError):
        contact_create(customer=customer, **bad)
    contact = contact_create(customer=customer, name="Anna")
    with pytest.raises(ValidationError):
        contact_update(contact=contact, **bad)
    contact.refresh_from_db()
    assert contact.name == "Anna" and Contact.objects.count() == 1


def test_contact_update_changes_the_lookup_keys(customer):
    contact = contact_create(customer=customer, name="Hans Bürgi")
    contact_update(contact=contact, name="Hans Grüter", phone="+41 78 900 12 34", language="de")
    contact.refresh_from_db()
    assert (contact.fold_key, contact.phone.as_e164, contact.language) == (
        "hans gruter",
        "+41789001234",
        "de",
    )


def test_contact_update_refuses_an_unsaved_contact():
    with pytest.raises(ValidationError):
        contact_update(contact=Contact(name="x"), name="y")


# --- pages ----------------------------------------------------------------------------------


def test_add_contact_from_the_customer_page(desk, customer):
    page = desk.get("/customers/10001/").text
    assert 'href="/customers/10001/contacts/new/"' in page
    response = desk.post(
        "/customers/10001/contacts/new/",
        {"name": "Anna Meier", "role": "Buchhaltung", "phone": "079 412 36 58", "language": "de"},
    )
    assert response.status_code == 302 and response["Location"] == "/customers/10001/"
    contact = customer.contacts.get()
    assert (contact.role, contact.language) == ("Buchhaltung", "de")
    page = desk.get("/customers/10001/").text
    assert "Buchhaltung" in page and f'href="/customers/10001/contacts/{contact.pk}/edit/"' in page


def test_edit_contact(desk, customer):
    contact = contact_create(customer=customer, name="Anna", phone="079 412 36 58")
    url = f"/customers/10001/contacts/{contact.pk}/edit/"
    assert desk.get(url).context["form"]["phone"].value() == "+41 79 412 36 58"
    response = desk.post(url, {"name": "Anna Meier", "email": "anna@buergi.ch", "language": ""})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.name, contact.email, contact.phone) == ("Anna Meier", "anna@buergi.ch", "")


def test_bad_contact_form_shows_the_error(desk, customer):
    response = desk.post("/customers/10001/contacts/new/", {"name": "Anna", "phone": "12"})
    assert response.status_code == 200 and response.context["form"].errors
    assert not Contact.objects.exists()


def test_another_customers_contact_is_not_found(desk, customer):
    other = ContactFactory()
    assert desk.get(f"/customers/10001/contacts/{other.pk}/edit/").status_code == 404
    assert desk.get("/customers/99999/contacts/new/").status_code == 404


@pytest.mark.parametrize("path", ["/customers/10001/contacts/new/", "edit"])
def test_contact_pages_access(client, user_with_role, customer, path):
    contact = contact_create(customer=customer, name="Anna")
    if path == "edit":
        path = f"/customers/10001/contacts/{contact.pk}/edit/"
    assert client.get(path).status_code == 302  # to the login page
    client.force_login(user_with_role(Role.BILLING))
    assert client.get(path).status_code == 403
    client.force_login(user_with_role(Role.SUPPORT))
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("contacts", [1, 30])
def test_customer_page_with_contacts_query_count(
    desk, customer, contacts, django_assert_max_num_queries
):
    for n in range(contacts):
        contact_create(customer=customer, name=f"Person {n}", role="IT")
    with django_assert_max_num_queries(25):
        assert desk.get("/customers/10001/").status_code == 200
    contact = customer.contacts.first()
    with django_assert_max_num_queries(8):
        assert desk.get(f"/customers/10001/contacts/{contact.pk}/edit/").status_code == 200


# --- the caller found by a contact is the new case's contact ---------------------------------


@pytest.mark.parametrize("q", ["079 412 36 58", "412 36 58", "anna@buergi.ch"])
def test_caller_found_by_a_contact_is_preselected(desk, customer, q):
    contact_create(customer=customer, name="Hans Bürgi")
    anna = contact_create(
        customer=customer, name="Anna Meier", phone="079 412 36 58", email="anna@buergi.ch"
    )
    response = desk.get("/lookup/", {"q": q})
    assert response["Location"] == f"/customers/10001/?contact={anna.pk}"
    page = desk.get(response["Location"]).text
    assert f'href="/cases/new/?customer=10001&amp;contact={anna.pk}"' in page
    assert 'data-caller="1"' in page
    form = desk.get("/cases/new/", {"customer": "10001", "contact": anna.pk}).context["form"]
    assert form["contact"].value() == anna.pk
    desk.post(
        f"/cases/new/?customer=10001&contact={anna.pk}",
        {"contact": anna.pk, "channel": "phone", "subject": "Lohnlauf", "kind": "case"},
    )
    assert Case.objects.get().contact == anna


def test_caller_found_by_the_customer_number_has_no_contact(desk, customer):
    contact_create(customer=customer, name="Anna Meier")
    response = desk.get("/lookup/", {"phone": "031 381 22 10"})
    assert response["Location"] == "/customers/10001/"
    form = desk.get("/cases/new/", {"customer": "10001"}).context["form"]
    assert form["contact"].value() is None


def test_a_foreign_contact_is_not_preselected(desk, customer):
    other = customer_create(name="Other")
    stranger = contact_create(customer=other, name="Stranger")
    page = desk.get("/customers/10001/", {"contact": stranger.pk}).text
    assert 'data-caller="1"' not in page and f"&amp;contact={stranger.pk}" not in page


@pytest.mark.parametrize("contact", ["Hans Muster", {"nme": "Hans"}, ["Hans"]])
def test_a_first_contact_that_is_not_a_contact_is_a_clear_error(contact):
    from django.core.exceptions import ValidationError

    from customers.models import Customer
    from customers.services import customer_create_with_contact

    with pytest.raises(ValidationError, match="first contact"):
        customer_create_with_contact(name="Schreinerei Keller", contact=contact)
    assert not Customer.objects.exists()
