"""Credit that holds over time: balances of a past day (R14) and rental periods longer than a
year (R3). "Today" is 15 March 2027 in the billing tests."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from billing.models import CreditGrant, Tariff
from billing.rules import rental_years
from billing.selectors import credit_balance
from billing.services import grants_sync_all, invoice_drafts, invoice_issue
from cases.emails import credit_statement
from customers.models import RentalPeriod
from customers.services import rental_period_create
from tests.factories import (
    LicenceFactory,
    change_period,
    make_company,
    make_usage,
    rental_customer,
)

pytestmark = pytest.mark.django_db


# --- R14: balances at a point in time --------------------------------------------------


def test_the_balance_of_a_day_counts_only_the_work_performed_by_that_day():
    customer = rental_customer(variant="premium", modules=["COFI", "SAL"])  # 35 min
    make_usage(customer, 20, on=date(2026, 1, 15))
    make_usage(customer, 15, on=date(2026, 2, 10), ref="C-2")
    assert credit_balance(customer=customer, on=date(2026, 1, 14)).remaining == 35
    assert credit_balance(customer=customer, on=date(2026, 1, 31)).remaining == 15
    assert credit_balance(customer=customer, on=date(2026, 2, 28)).remaining == 0
    assert credit_balance(customer=customer, on=date(2026, 1, 31)).used == 20


def test_a_january_invoice_shows_what_was_left_on_31_january():
    make_company()
    customer = rental_customer(variant="premium", modules=["COFI", "SAL"])  # 35 min
    make_usage(customer, 20, on=date(2026, 1, 15))
    make_usage(customer, 60, on=date(2026, 1, 20), activity="programming", ref="C-2")  # billable
    make_usage(customer, 15, on=date(2026, 2, 10), ref="C-3")  # uses the rest in February
    (draft,) = invoice_drafts(
        period_start=date(2026, 1, 1), period_end=date(2026, 1, 31), customers=[customer]
    )
    invoice = invoice_issue(invoice=draft, issued_on=date(2026, 2, 12))
    assert (invoice.credit_used_minutes, invoice.credit_remaining_minutes) == (20, 15)


def test_the_credit_statement_of_a_day_is_the_balance_of_that_day():
    customer = rental_customer(variant="premium", modules=["COFI", "SAL"])  # 35 min
    make_usage(customer, 20, on=date(2026, 1, 15))
    make_usage(customer, 15, on=date(2026, 2, 10), ref="C-2")
    assert "15 min" in credit_statement(customer=customer, on=date(2026, 1, 31))
    assert "0 min" in credit_statement(customer=customer, on=date(2026, 2, 10))


# --- R3: a period longer than a year grants its credit per rental year -----------------


@pytest.mark.parametrize(
    ("start", "end", "years"),
    [
        (date(2026, 1, 1), date(2026, 12, 31), [(date(2026, 1, 1), date(2026, 12, 31))]),
        (date(2026, 1, 1), date(2026, 6, 30), [(date(2026, 1, 1), date(2026, 6, 30))]),
        (
            date(2026, 1, 1),
            date(2027, 12, 31),
            [(date(2026, 1, 1), date(2026, 12, 31)), (date(2027, 1, 1), date(2027, 12, 31))],
        ),
        (
            date(2025, 7, 1),
            date(2027, 12, 31),
            [
                (date(2025, 7, 1), date(2026, 6, 30)),
                (date(2026, 7, 1), date(2027, 6, 30)),
                (date(2027, 7, 1), date(2027, 12, 31)),
            ],
        ),
        (
            date(2024, 2, 29),
            date(2026, 2, 27),
            [(date(2024, 2, 29), date(2025, 2, 27)), (date(2025, 2, 28), date(2026, 2, 27))],
        ),
    ],
)
def test_rental_years_of_a_period(start, end, years):
    assert rental_years(start, end) == years


def test_a_two_year_period_grants_the_credit_of_each_year_valid_only_in_its_year():
    customer = rental_customer(
        variant="standard", start=date(2026, 1, 1), end=date(2027, 12, 31)
    )  # 5 min a year
    grants = list(CreditGrant.objects.filter(customer=customer).order_by("valid_from"))
    assert [(g.valid_from, g.valid_to, g.minutes) for g in grants] == [
        (date(2026, 1, 1), date(2026, 12, 31), 5),
        (date(2027, 1, 1), date(2027, 12, 31), 5),
    ]
    # 2026's credit is unused; it cannot be taken into 2027.
    usage = make_usage(customer, 10, on=date(2027, 1, 10))
    assert (usage.credit_minutes, usage.billable_minutes) == (5, 5)
    assert usage.draws.get().grant == grants[1]
    assert credit_balance(customer=customer, on=date(2026, 12, 31)).remaining == 5
    assert credit_balance(customer=customer, on=date(2027, 1, 10)).remaining == 0


def test_a_last_part_shorter_than_a_year_gets_the_full_credit_of_a_rental_year():
    customer = rental_customer(variant="profi", start=date(2025, 7, 1), end=date(2027, 12, 31))
    minutes = list(
        CreditGrant.objects.filter(customer=customer)
        .order_by("valid_from")
        .values_list("valid_to", "minutes")
    )
    assert minutes == [
        (date(2026, 6, 30), 15),
        (date(2027, 6, 30), 15),
        (date(2027, 12, 31), 15),
    ]


def test_the_threshold_applies_to_the_annual_rent_of_a_long_period():
    below = rental_customer(start=date(2026, 1, 1), end=date(2027, 12, 31), rent=Decimal("99.95"))
    at = rental_customer(start=date(2026, 1, 1), end=date(2027, 12, 31), rent=Decimal("100.00"))
    assert not CreditGrant.objects.filter(customer=below).exists()
    assert CreditGrant.objects.filter(customer=at).count() == 2


def test_each_rental_year_takes_the_tariff_in_force_at_its_start():
    tariff = Tariff.objects.get()
    cells = list(tariff.credit_allowances.all())
    newer = Tariff.objects.get(pk=tariff.pk)
    newer.pk = None
    newer.valid_from = date(2027, 1, 1)
    newer.save()
    for cell in cells:
        cell.pk = None
        cell.tariff = newer
        cell.minutes = cell.minutes * 2
        cell.save()
    customer = rental_customer(variant="standard", start=date(2026, 1, 1), end=date(2027, 12, 31))
    assert list(
        CreditGrant.objects.filter(customer=customer)
        .order_by("valid_from")
        .values_list("minutes", "tariff__valid_from")
    ) == [(5, tariff.valid_from), (10, date(2027, 1, 1))]


def test_shortening_a_period_keeps_the_year_whose_credit_was_used_or_is_refused():
    customer = rental_customer(variant="standard", start=date(2026, 1, 1), end=date(2027, 12, 31))
    period = RentalPeriod.objects.get(licence__customer=customer)
    make_usage(customer, 5, on=date(2027, 1, 10))
    with pytest.raises(ValidationError, match="5 minutes of the credit"), transaction.atomic():
        change_period(period, end=date(2026, 12, 31))
    assert CreditGrant.objects.filter(customer=customer).count() == 2
    # A period whose second year is unused can be shortened: that grant goes.
    other = rental_customer(variant="standard", start=date(2026, 1, 1), end=date(2027, 12, 31))
    period = RentalPeriod.objects.get(licence__customer=other)
    change_period(period, end=date(2026, 12, 31))
    assert CreditGrant.objects.filter(customer=other).count() == 1


def test_moving_a_two_year_period_forward_keeps_one_grant_per_year():
    customer = rental_customer(variant="standard", start=date(2026, 1, 1), end=date(2027, 12, 31))
    period = RentalPeriod.objects.get(licence__customer=customer)
    change_period(period, start=date(2027, 1, 1), end=date(2028, 12, 31))
    assert list(
        CreditGrant.objects.filter(customer=customer)
        .order_by("valid_from")
        .values_list("valid_from", "valid_to")
    ) == [(date(2027, 1, 1), date(2027, 12, 31)), (date(2028, 1, 1), date(2028, 12, 31))]


def test_bulk_sync_derives_one_grant_per_rental_year():
    licence = LicenceFactory(variant="advanced", modules=["COFI"])
    RentalPeriod.objects.bulk_create(
        [
            RentalPeriod(
                licence=licence,
                start=date(2026, 1, 1),
                end=date(2027, 12, 31),
                annual_rent=Decimal("480.00"),
            )
        ]
    )
    assert grants_sync_all() == 2
    assert grants_sync_all() == 0


def test_the_service_creates_the_grants_of_a_two_year_period():
    licence = LicenceFactory(variant="premium", modules=["COFI", "SAL", "FAC"])
    rental_period_create(
        licence=licence, start=date(2026, 1, 1), end=date(2027, 12, 31), annual_rent=Decimal(900)
    )
    assert list(
        CreditGrant.objects.filter(customer=licence.customer).values_list("minutes", flat=True)
    ) == [35, 35]
