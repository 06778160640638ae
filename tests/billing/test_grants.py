"""Credit grants (R3, R7) derived from the customer model as it changes."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from billing.models import CreditGrant, GrantSource
from billing.services import grants_sync_all, record_usage
from customers.models import RentalPeriod
from customers.services import (
    half_fare_subscribe,
    licence_credit_sync,
    licence_update,
    rental_period_create,
    rental_period_update,
)
from tests.factories import (
    ContactFactory,
    LicenceFactory,
    RentalPeriodFactory,
    rental_customer,
    support_plus,
)

pytestmark = pytest.mark.django_db

R3 = [
    ("standard", ["COFI"], 5),
    ("standard", ["COFI", "SAL"], 10),
    ("advanced", ["FAC"], 10),
    ("advanced", ["FAC", "CRE"], 15),
    ("profi", ["SAL"], 15),
    ("profi", ["COFI", "SAL", "FAC"], 25),
    ("premium", ["CRE", "DEB", "STK"], 25),  # one main module: the non-main ones do not count
    ("premium", ["COFI", "SAL", "FAC", "CRE"], 35),
]


@pytest.mark.parametrize(("variant", "modules", "minutes"), R3)
def test_each_cell_of_the_credit_table(variant, modules, minutes):
    customer = rental_customer(variant=variant, modules=modules)
    grant = CreditGrant.objects.get(customer=customer)
    assert grant.minutes == minutes
    assert (grant.source, grant.valid_from, grant.valid_to) == (
        GrantSource.LICENCE,
        date(2026, 1, 1),
        date(2026, 12, 31),
    )


@pytest.mark.parametrize(("rent", "granted"), [("99.95", False), ("100.00", True), ("0", False)])
def test_credit_threshold_of_chf_100(rent, granted):
    customer = rental_customer(rent=Decimal(rent))
    assert CreditGrant.objects.filter(customer=customer).exists() is granted


def test_one_grant_per_rental_period_valid_for_exactly_that_period():
    customer = rental_customer(variant="profi", start=date(2025, 1, 1), end=date(2025, 12, 31))
    licence = customer.licences.get()
    rental_period_create(
        licence=licence, start=date(2026, 1, 1), end=date(2026, 12, 31), annual_rent=Decimal(500)
    )
    spans = list(CreditGrant.objects.values_list("valid_from", "valid_to", "minutes"))
    assert spans == [
        (date(2025, 1, 1), date(2025, 12, 31), 15),
        (date(2026, 1, 1), date(2026, 12, 31), 15),
    ]


def test_grant_follows_rent_modules_and_variant_changes():
    customer = rental_customer(variant="standard", modules=["COFI"], rent=Decimal("480"))
    licence = customer.licences.get()

    def grant() -> int:
        return CreditGrant.objects.get(customer=customer).minutes

    licence_update(licence=licence, variant="standard", modules=["COFI", "SAL"])
    assert grant() == 10
    licence_update(licence=licence, variant="premium")
    assert grant() == 35
    licence_update(licence=licence, variant="premium", modules=["SAL"])
    assert grant() == 25

    period = RentalPeriod.objects.get(licence=licence)
    rental_period_update(
        period=period, start=period.start, end=period.end, annual_rent=Decimal("99.00")
    )
    assert not CreditGrant.objects.filter(customer=customer).exists()


def test_a_row_written_past_the_services_changes_no_credit_until_synced():
    """No signal: the credit follows the services that change periods and licences (and
    the admin, through them); a row written directly waits for an explicit sync."""
    customer = rental_customer(variant="standard", modules=["COFI"])
    licence = customer.licences.get()
    licence.variant = "premium"
    licence.save()
    assert CreditGrant.objects.get(customer=customer).minutes == 5
    licence_credit_sync(licence=licence)
    assert CreditGrant.objects.get(customer=customer).minutes == 25


def test_lowered_rent_is_refused_once_its_credit_is_drawn_on_and_changes_nothing():
    customer = rental_customer(variant="profi", modules=["COFI"])
    record_usage(
        customer=customer,
        activity="support",
        minutes=5,
        performed_on=date(2026, 3, 1),
        work_ref="C-1",
    )
    period = RentalPeriod.objects.get(licence__customer=customer)
    with pytest.raises(ValidationError, match="5 minutes of the credit"), transaction.atomic():
        rental_period_update(
            period=period, start=period.start, end=period.end, annual_rent=Decimal("50.00")
        )
    period.refresh_from_db()
    assert period.annual_rent == Decimal("480.00")
    assert CreditGrant.objects.get(customer=customer).minutes == 15


def test_support_plus_grants_120_minutes_for_its_year():
    customer = rental_customer(variant="premium", rent=Decimal("2000"))
    sub = support_plus(customer, [ContactFactory(customer=customer)])
    grant = CreditGrant.objects.get(support_plus=sub)
    assert (grant.minutes, grant.valid_from, grant.valid_to) == (
        120,
        date(2026, 1, 1),
        date(2026, 12, 31),
    )


def test_periods_before_the_first_tariff_grant_nothing():
    customer = rental_customer(start=date(2023, 1, 1), end=date(2023, 12, 31))
    assert not CreditGrant.objects.filter(customer=customer).exists()


def test_purchase_licences_never_grant_credit():
    licence = LicenceFactory(kind="purchase", variant="premium")
    assert not CreditGrant.objects.filter(customer=licence.customer).exists()


def test_sync_all_derives_grants_missing_after_bulk_inserts():
    licence = LicenceFactory(variant="advanced", modules=["COFI", "SAL"])
    RentalPeriod.objects.bulk_create(
        [
            RentalPeriod(
                licence=licence,
                start=date(2026, 1, 1),
                end=date(2026, 12, 31),
                annual_rent=Decimal("300"),
            )
        ]
    )
    customer = licence.customer
    half_fare_subscribe(customer=customer, start=date(2026, 1, 1), end=date(2026, 12, 31))
    assert not CreditGrant.objects.exists()
    assert grants_sync_all() == 1
    assert CreditGrant.objects.get().minutes == 15
    assert grants_sync_all() == 0  # idempotent


def test_deleting_an_unused_period_removes_its_grant():
    period = RentalPeriodFactory()
    assert CreditGrant.objects.count() == 1
    period.delete()
    assert CreditGrant.objects.count() == 0
