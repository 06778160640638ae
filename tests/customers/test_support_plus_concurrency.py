"""Two desks taking the last Support+ place at the same moment: exactly one gets it."""

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from billing.models import Tariff
from customers.models import SupportPlusSubscription
from customers.services import support_plus_subscribe
from tests.factories import ContactFactory, rental_customer


@pytest.mark.postgresql
# serialized_rollback: the flush after this test must give back the migrated reference data
# (tariff, modules, role groups) to the tests that run after it.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_last_support_plus_place_is_given_once():
    Tariff.objects.update(support_plus_capacity=1)
    customers = [rental_customer(variant="premium") for _ in range(4)]
    contacts = [ContactFactory(customer=c) for c in customers]
    barrier = threading.Barrier(len(customers))
    outcomes = []

    def subscribe(customer, contact):
        translation.activate("en")  # each thread starts in the default language
        try:
            barrier.wait()
            support_plus_subscribe(
                customer=customer,
                start=date(2026, 1, 1),
                end=date(2026, 12, 31),
                registered=[contact],
            )
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connection.close()

    threads = [
        threading.Thread(target=subscribe, args=pair)
        for pair in zip(customers, contacts, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(outcomes) == len(customers)  # no thread died of anything else
    assert outcomes.count("ok") == 1
    assert all("Support+ is full" in o for o in outcomes if o != "ok")
    assert SupportPlusSubscription.objects.count() == 1
