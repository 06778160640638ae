"""Input that can never hurt later (issue 15): customers and contacts refuse NUL and control
characters (a NUL in a name used to reach the invoice and leave it without its QR-bill),
through the services and through the forms, with the field's name and nothing saved."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from customers.models import Contact, Customer
from customers.services import (
    contact_create,
    contact_update,
    customer_create,
    half_fare_subscribe,
)
from q3helpdesk.guards import check_arguments, check_instance_text, check_text, scrub
from q3helpdesk.roles import Role
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("Europe/Zurich"))):
        yield date(2026, 3, 2)


@pytest.fixture
def desk(client, user_with_role):
    client.force_login(user_with_role(Role.INFOLINE))
    return client


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("name", "Menuiserie\x00 Dupont SA", "The name"),
        ("name", "Menuiserie\nDupont SA", "The name"),
        ("street", "Rue du Lac\x1b[2J", "The street"),
        ("city", "Lau\u2028sanne", "The city"),
        ("postcode", "10\x0003", "The postcode"),
        ("house_number", "12\t", "The house number"),
        ("email", "info@dupont.example\r\nBcc: x@y.example", "The e-mail address"),
        ("phone", "031 511\x00 49 49", "The phone number"),
        ("number", "10001\x00", "The number"),
    ],
)
def test_customer_with_a_control_character_is_refused_with_the_field(field, value, label):
    arguments = {"name": "Menuiserie Dupont SA", "postcode": "1003", "city": "Lausanne"}
    with pytest.raises(ValidationError) as refused:
        customer_create(**{**arguments, field: value})
    assert refused.value.messages == [
        f"{label} must be one line of text, without line breaks or control characters."
    ]
    assert not Customer.objects.exists()


def test_the_guards_checks_alone_refuse_as_the_service_and_call_nothing():
    # check_arguments: what the ERP import asks of the rows it writes at once.
    with pytest.raises(ValidationError) as refused:
        check_arguments(customer_create, name="Menuiserie\x00 Dupont SA", city="Lausanne")
    assert refused.value.messages == [
        "The name must be one line of text, without line breaks or control characters."
    ]
    with pytest.raises(ValidationError, match="The start must be a date"):
        check_arguments(half_fare_subscribe, start="2026-01-01", end=date(2026, 12, 31))
    check_arguments(customer_create, name="Menuiserie Dupont SA", number="10001")
    assert not Customer.objects.exists()


def test_contact_with_a_control_character_is_refused_and_not_changed():
    customer = CustomerFactory()
    with pytest.raises(ValidationError, match="The name must be one line"):
        contact_create(customer=customer, name="Claire\x00 Dupont")
    with pytest.raises(ValidationError, match="The role must be one line"):
        contact_create(customer=customer, name="Claire Dupont", role="IT\x7f")
    assert not Contact.objects.exists()
    contact = ContactFactory(customer=customer, name="Claire Dupont")
    with pytest.raises(ValidationError, match="The name must be one line"):
        contact_update(contact=contact, name="Claire\x85Dupont")
    contact.refresh_from_db()
    assert contact.name == "Claire Dupont"


def test_new_customer_form_shows_the_field_error_and_saves_nothing(desk):
    response = desk.post(
        "/customers/new/",
        {
            "name": "Menuiserie\x01 Dupont SA",
            "city": "Lau\x1bsanne",
            "postcode": "1003",
            "language": "fr",
            "contact_name": "Claire\x02 Dupont",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "must be one line of text" in errors["name"][0]
    assert "must be one line of text" in errors["city"][0]
    assert "must be one line of text" in errors["contact_name"][0]
    assert not Customer.objects.exists() and not Contact.objects.exists()


def test_contact_form_shows_the_field_error_and_saves_nothing(desk):
    CustomerFactory(number="10001")
    response = desk.post(
        "/customers/10001/contacts/new/",
        {"name": "Anna Meier", "role": "Buch\x08haltung", "language": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "must be one line of text" in response.context["form"].errors["role"][0]
    assert not Contact.objects.exists()


# --- the guard itself ---------------------------------------------------------------------------


@pytest.mark.parametrize("character", [chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]])
def test_single_line_text_refuses_every_control_character(character):
    with pytest.raises(ValidationError):
        check_text(f"a{character}b", label="The name")


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("a\nb", True),
        ("a\r\nb", True),
        ("a\tb", True),
        ("a\rb", False),
        ("a\x00b", False),
        ("a\x0bb", False),
        ("a\u2028b", False),
        ("a\u2029b", False),
        ("a\x85b", False),
        ("Grüezi ‹ça va› 👍", True),
    ],
)
def test_multi_line_text_allows_only_line_breaks_and_tabs(text, ok):
    if ok:
        assert check_text(text, label="The note", multiline=True) == text
    else:
        with pytest.raises(ValidationError, match="The note contains a control character"):
            check_text(text, label="The note", multiline=True)


def test_scrub_cleans_what_arrives_from_outside():
    assert scrub("Lohn\x00lauf\u2028bricht\tab\r\n") == "Lohnlauf bricht ab "
    assert scrub("a\r\nb\rc\u2029d\x00\te", multiline=True) == "a\nb\nc\nd\te"


def test_instance_text_check_names_the_field():
    customer = CustomerFactory.build(city="Lau\x00sanne")
    with pytest.raises(ValidationError, match="City must be one line"):
        check_instance_text(customer)
    check_instance_text(CustomerFactory.build())
