"""``charge_facts``: what a posting reads of the support status, in one query, gives the
same answers as ``support_status`` on every day and for every caller."""

from datetime import date, timedelta

import pytest

from customers.models import LicenceKind
from customers.selectors import charge_facts, support_status
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    HalfFareFactory,
    LicenceFactory,
    RentalPeriodFactory,
    rental_customer,
    support_plus,
)

pytestmark = pytest.mark.django_db

# Every edge of the periods below, and a day inside each.
DAYS = [
    date(2025, 12, 31),
    date(2026, 1, 1),
    date(2026, 2, 28),
    date(2026, 3, 1),
    date(2026, 3, 2),
    date(2026, 5, 15),
    date(2026, 6, 30),
    date(2026, 7, 1),
    date(2026, 9, 30),
    date(2026, 10, 1),
    date(2026, 12, 31),
    date(2027, 1, 1),
]


def expected(customer, on, contact):
    status = support_status(customer=customer, on=on)
    return (status.eligible, status.half_fare is not None, status.is_registered(contact))


def found(customer, on, contact):
    facts = charge_facts(customer=customer, on=on, contact=contact)
    return (facts.eligible, facts.half_fare, facts.registered)


def test_the_facts_equal_the_support_status_on_every_day_for_every_caller():
    customer = rental_customer(variant="profi", start=date(2026, 1, 1), end=date(2026, 12, 31))
    HalfFareFactory(customer=customer, start=date(2026, 3, 1), end=date(2026, 6, 30))
    registered, other = ContactFactory(customer=customer), ContactFactory(customer=customer)
    support_plus(customer, [registered], start=date(2026, 7, 1), end=date(2026, 9, 30))
    seen = set()
    for on in DAYS:
        for contact in (None, registered, other):
            answer = found(customer, on, contact)
            assert answer == expected(customer, on, contact), (on, contact)
            seen.add(answer)
    # The days cover every combination the customer has over the year.
    assert seen == {
        (False, False, False),
        (True, False, False),
        (True, True, False),
        (True, False, True),
    }


def test_a_purchase_licence_or_none_is_not_eligible_and_a_later_period_is():
    purchase = CustomerFactory()
    LicenceFactory(customer=purchase, kind=LicenceKind.PURCHASE)
    nobody = CustomerFactory()
    later = rental_customer(start=date(2026, 6, 1), end=date(2027, 5, 31))
    expired = CustomerFactory()
    RentalPeriodFactory(
        licence=LicenceFactory(customer=expired), start=date(2025, 1, 1), end=date(2025, 12, 31)
    )
    for customer in (purchase, nobody, later, expired):
        for on in DAYS:
            assert found(customer, on, None) == expected(customer, on, None), (customer, on)
    assert not charge_facts(customer=later, on=date(2026, 5, 31)).eligible
    assert charge_facts(customer=later, on=date(2026, 6, 1)).eligible


def test_a_registration_of_another_customer_does_not_count():
    customer = rental_customer(variant="premium")
    neighbour = rental_customer(variant="premium")
    person = ContactFactory(customer=neighbour)
    support_plus(neighbour, [person])
    on = date(2026, 4, 1)
    assert charge_facts(customer=neighbour, on=on, contact=person).registered
    assert not charge_facts(customer=customer, on=on, contact=person).registered


def test_one_query(django_assert_num_queries):
    customer = rental_customer()
    contact = ContactFactory(customer=customer)
    with django_assert_num_queries(1):
        charge_facts(customer=customer, on=date(2026, 4, 1) + timedelta(days=1), contact=contact)


def test_registered_on_agrees_for_many_contacts_at_once(django_assert_num_queries):
    """``registered_on`` (the API's caller lookup) answers what ``charge_facts`` answers,
    for every contact in one query."""
    from customers.selectors import registered_on

    customer = rental_customer(variant="premium")
    registered, other = ContactFactory(customer=customer), ContactFactory(customer=customer)
    support_plus(customer, [registered], start=date(2026, 7, 1), end=date(2026, 9, 30))
    contacts = [registered, other]
    for on in DAYS:
        with django_assert_num_queries(1):
            found_ids = registered_on(contact_ids=[c.pk for c in contacts], on=on)
        assert found_ids == {
            c.pk for c in contacts if charge_facts(customer=customer, on=on, contact=c).registered
        }, on
    assert registered_on(contact_ids=[registered.pk], on=date(2026, 8, 1)) == {registered.pk}
