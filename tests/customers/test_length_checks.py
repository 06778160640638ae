"""Text longer than its column is refused by the customers services with the field's name
and the maximum, before anything is written (PostgreSQL would fail with a 500)."""

import pytest
from django.core.exceptions import ValidationError

from customers import services
from customers.models import Contact, Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "N" * 141, "The name has at most 140 characters."),
        ("street", "S" * 71, "The street has at most 70 characters."),
        ("house_number", "1" * 17, "The house number has at most 16 characters."),
        ("city", "C" * 36, "The city has at most 35 characters."),
        ("email", "a" * 250 + "@b.ch", "The e-mail address has at most 254 characters."),
    ],
)
def test_customer_text_longer_than_its_column_is_refused(field, value, message):
    kwargs = {"name": "Favre SA", field: value}
    with pytest.raises(ValidationError) as exc:
        services.customer_create(**kwargs)
    assert exc.value.messages == [message]
    assert not Customer.objects.exists()


def test_postcode_abroad_longer_than_its_column_is_refused():
    with pytest.raises(ValidationError) as exc:
        services.customer_create(name="Müller GmbH", country="DE", postcode="7" * 17)
    assert exc.value.messages == ["The postcode has at most 16 characters."]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "N" * 141, "The name has at most 140 characters."),
        ("email", "a" * 250 + "@b.ch", "The e-mail address has at most 254 characters."),
    ],
)
def test_contact_text_longer_than_its_column_is_refused(field, value, message):
    kwargs = {"name": "Sophie Favre", field: value}
    with pytest.raises(ValidationError) as exc:
        services.contact_create(customer=CustomerFactory(), **kwargs)
    assert exc.value.messages == [message]
    assert not Contact.objects.exists()


def test_text_that_just_fits_is_kept():
    customer = services.customer_create(name="N" * 140, street="S" * 70, city="C" * 35)
    customer.refresh_from_db()
    assert (len(customer.name), len(customer.street), len(customer.city)) == (140, 70, 35)


def test_a_name_whose_search_key_is_longer_than_the_name_still_fits():
    # "ß" is written "ss" in the lookup's key: 140 characters of name, 280 of key.
    customer = services.customer_create(name="Straßenbau Weiß " + "ß" * 124)
    contact = services.contact_create(customer=customer, name="ﬃ" * 140)  # ligatures: "ffi"
    customer.refresh_from_db()
    contact.refresh_from_db()
    assert len(customer.name) == 140 and len(customer.name_key) == 140
    assert customer.name_key.startswith("strassenbau weiss ssss")
    assert len(contact.name_key) == 140
    assert Customer.objects.filter(name_key__contains="strassenbau weiss").get() == customer
