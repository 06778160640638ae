"""Changing a customer (issue 18: the ERP import updates a renamed firm or a moved address
through this service): the number stays, the lookup finds the new name, the history says
who changed what, bad input changes nothing."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from customers.models import Customer
from customers.selectors import customer_lookup
from customers.services import customer_create, customer_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return customer_create(
        number="10001",
        name="Bürgi Elektro GmbH",
        street="Marktgasse",
        house_number="4",
        postcode="3011",
        city="Bern",
        language="de",
        phone="031 381 22 10",
    )


def test_a_customer_is_renamed_and_moves(customer):
    changed = customer_update(
        customer=customer,
        name="Bürgi Elektro AG",
        street="Rue du Marché",
        house_number="10",
        postcode="2502",
        city="Biel/Bienne",
        language="fr",
        email="info@buergi.example",
        phone="+41 32 322 11 00",
    )
    saved = Customer.objects.get(pk=customer.pk)
    assert saved.number == "10001" and changed.pk == customer.pk
    assert (saved.name, saved.city, saved.language) == ("Bürgi Elektro AG", "Biel/Bienne", "fr")
    assert saved.phone.as_e164 == "+41323221100"
    assert [hit.customer for hit in customer_lookup(q="Buergi Elektro AG").hits] == [saved]
    assert saved.history.count() == 2


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"name": ""}, "vide"),
        ({"postcode": "30110"}, "quatre chiffres"),
        ({"country": "Schweiz"}, "ISO"),
        ({"phone": "beim Empfang"}, "numéro saisi"),
        ({"name": "x" * 500}, "caractères"),
    ],
)
def test_bad_input_changes_nothing(customer, bad, message):
    fields = {"name": "Bürgi Elektro GmbH", "postcode": "3011", "city": "Bern", **bad}
    with translation.override("fr"):
        with pytest.raises(ValidationError) as refused:
            customer_update(customer=customer, **fields)
        assert message in " ".join(refused.value.messages)
    saved = Customer.objects.get(pk=customer.pk)
    assert (saved.name, saved.postcode, saved.history.count()) == ("Bürgi Elektro GmbH", "3011", 1)


def test_an_unsaved_customer_is_refused():
    with pytest.raises(ValidationError):
        customer_update(customer=Customer(number="10002", name="x"), name="y")
