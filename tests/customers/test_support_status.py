from datetime import date, timedelta
from decimal import Decimal

import pytest

from customers.selectors import StatusCode, support_status
from customers.services import half_fare_subscribe, support_plus_subscribe
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    LicenceFactory,
    RentalPeriodFactory,
    rental_customer,
)

pytestmark = pytest.mark.django_db

START, END = date(2026, 1, 1), date(2026, 12, 31)


@pytest.mark.parametrize(
    ("on", "eligible", "code"),
    [
        (START - timedelta(days=1), False, StatusCode.RENTAL_NOT_STARTED),
        (START, True, StatusCode.CURRENT_RENTAL),  # the period starts that day
        (date(2026, 6, 15), True, StatusCode.CURRENT_RENTAL),
        (END, True, StatusCode.CURRENT_RENTAL),  # the period ends that day
        (END + timedelta(days=1), False, StatusCode.RENTAL_EXPIRED),
    ],
)
def test_eligibility_on_the_edges_of_the_rental_period(on, eligible, code):
    status = support_status(customer=rental_customer(start=START, end=END), on=on)
    assert (status.eligible, status.code) == (eligible, code)


def test_eligible_status_names_variant_modules_and_period_end():
    customer = rental_customer(variant="profi", modules=["COFI", "SAL", "STK"])
    status = support_status(customer=customer, on=date(2026, 3, 1))
    assert status.eligible
    assert status.variant == "profi"
    assert status.main_module_count == 2  # STK is not a main module
    assert status.several_main_modules
    assert status.period_end == END
    assert "Profi" in status.reason and "31.12.2026" in status.reason


@pytest.mark.parametrize(
    ("modules", "count", "several"),
    [
        (["STK"], 0, False),
        (["COFI"], 1, False),
        (["COFI", "BANK", "DEB"], 1, False),
        (["SAL", "FAC"], 2, True),
        (["COFI", "SAL", "FAC", "CRE"], 4, True),
    ],
)
def test_main_module_count_decides_the_credit_column(modules, count, several):
    status = support_status(customer=rental_customer(modules=modules), on=START)
    assert (status.main_module_count, status.several_main_modules) == (count, several)


def test_purchase_licence_only_is_not_eligible():
    customer = CustomerFactory()
    LicenceFactory(customer=customer, kind="purchase", variant="premium")
    status = support_status(customer=customer, on=START)
    assert not status.eligible
    assert status.code == StatusCode.PURCHASE_ONLY
    assert "rental version" in status.reason


def test_customer_without_any_licence_is_not_eligible():
    status = support_status(customer=CustomerFactory(), on=START)
    assert (status.eligible, status.code) == (False, StatusCode.NO_LICENCE)


def test_rental_licence_without_period_is_not_eligible():
    customer = CustomerFactory()
    LicenceFactory(customer=customer)
    status = support_status(customer=customer, on=START)
    assert (status.eligible, status.code) == (False, StatusCode.RENTAL_WITHOUT_PERIOD)


def test_expired_rental_says_when_it_ended():
    customer = rental_customer(start=date(2024, 1, 1), end=date(2024, 12, 31))
    status = support_status(customer=customer, on=START)
    assert status.code == StatusCode.RENTAL_EXPIRED
    assert "31.12.2024" in status.reason


def test_purchase_licence_besides_a_current_rental_one_does_not_matter():
    customer = rental_customer(variant="advanced")
    LicenceFactory(customer=customer, kind="purchase", variant="premium")
    status = support_status(customer=customer, on=START)
    assert status.eligible and status.variant == "advanced"


def test_best_of_several_current_rental_licences_decides():
    customer = rental_customer(variant="standard", modules=["COFI", "SAL"])
    licence = LicenceFactory(customer=customer, variant="premium", modules=["FAC"])
    RentalPeriodFactory(licence=licence, start=START, end=END)
    status = support_status(customer=customer, on=START)
    assert status.licence == licence
    assert (status.variant, status.main_module_count) == ("premium", 1)


def test_half_fare_and_support_plus_are_reported_with_registered_persons():
    customer = rental_customer(variant="premium")
    anna, ben, carla = (ContactFactory(customer=customer) for _ in range(3))
    half_fare_subscribe(customer=customer, start=START, end=END)
    plus = support_plus_subscribe(customer=customer, start=START, end=END, registered=[anna, ben])
    status = support_status(customer=customer, on=date(2026, 5, 5))
    assert status.half_fare is not None and status.support_plus == plus
    assert status.is_registered(anna) and status.is_registered(ben)
    assert not status.is_registered(carla) and not status.is_registered(None)

    later = support_status(customer=customer, on=date(2027, 1, 1))
    assert later.half_fare is None and later.support_plus is None
    assert not later.is_registered(anna)


def test_support_status_runs_a_bounded_number_of_queries(django_assert_max_num_queries):
    customer = rental_customer(variant="premium", rent=Decimal("2400.00"))
    contacts = [ContactFactory(customer=customer) for _ in range(5)]
    half_fare_subscribe(customer=customer, start=START, end=END)
    support_plus_subscribe(customer=customer, start=START, end=END, registered=contacts)
    for year in range(2010, 2026):  # lots of history must not add queries
        licence = LicenceFactory(customer=customer)
        RentalPeriodFactory(licence=licence, start=date(year, 1, 1), end=date(year, 12, 31))
    with django_assert_max_num_queries(4):
        assert support_status(customer=customer, on=START).eligible
    with django_assert_max_num_queries(6):
        assert not support_status(customer=customer, on=date(2030, 1, 1)).eligible
