from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.models import ActivityRate, CreditAllowance, Tariff
from billing.rules import missing_credit_cells, round_money, summed_money
from billing.selectors import support_plus_capacity, tariff_in_force
from tests.factories import copy_tariff

pytestmark = pytest.mark.django_db

# The support concept's table R3, straight from DESIGN.md §1.
CONCEPT_CREDIT = {
    ("standard", False): 5,
    ("standard", True): 10,
    ("advanced", False): 10,
    ("advanced", True): 15,
    ("profi", False): 15,
    ("profi", True): 25,
    ("premium", False): 25,
    ("premium", True): 35,
}


def test_seeded_tariff_has_every_number_of_the_support_concept():
    tariff = Tariff.objects.get()
    assert tariff.valid_from == date(2024, 1, 1)
    assert tariff.unit_minutes == 5
    assert tariff.credit_threshold == Decimal("100.00")
    assert tariff.support_plus_price == Decimal("565.00")
    assert tariff.support_plus_additional_person_price == Decimal("115.00")
    assert tariff.support_plus_extra_minutes == 120
    assert tariff.support_plus_capacity == 100
    assert tariff.vat_rate == Decimal("8.10")
    assert tariff.half_fare_price is None


# The support concept's table R4, straight from DESIGN.md §1: rate, half-fare rate,
# licence credit, credit for Support+ persons, free, free on a verified error, first
# rental period only.
CONCEPT_ACTIVITIES = {
    "support": ("175.00", "119.00", True, True, False, True, False),
    "data_check": ("175.00", None, False, True, False, True, False),
    "training": ("175.00", None, False, True, False, False, False),
    "forms": ("175.00", None, False, False, False, False, False),
    "programming": ("195.00", None, False, False, False, False, False),
    "first_install": ("0.00", None, False, False, True, False, True),
    "verified_bug": ("0.00", None, False, False, True, False, False),
}


def test_seeded_activities_are_the_seven_of_the_concept_with_its_numbers():
    rows = ActivityRate.objects.filter(tariff__valid_from=date(2024, 1, 1))
    seeded = {
        r.code: (
            str(r.hourly_rate),
            None if r.half_fare_rate is None else str(r.half_fare_rate),
            r.licence_credit,
            r.support_plus_credit,
            r.free,
            r.free_on_verified_error,
            r.first_rental_period_only,
        )
        for r in rows
    }
    assert seeded == CONCEPT_ACTIVITIES
    assert [r.code for r in rows.order_by("position")] == list(CONCEPT_ACTIVITIES)


def test_activity_names_follow_the_language_of_the_page():
    from django.utils import translation

    row = ActivityRate.objects.get(code="data_check")
    for language, name in [
        ("fr", "Contrôle des données"),
        ("de", "Datenkontrolle"),
        ("en", "Data check"),
        ("it", "Contrôle des données"),  # no Italian name: French, the desk's first language
    ]:
        with translation.override(language):
            assert row.name == name


def test_seeded_credit_table_equals_the_concept_cell_by_cell():
    cells = {
        (c.variant, c.several_main_modules): c.minutes
        for c in CreditAllowance.objects.filter(tariff__valid_from=date(2024, 1, 1))
    }
    assert cells == CONCEPT_CREDIT


@pytest.mark.parametrize(("cell", "minutes"), CONCEPT_CREDIT.items())
def test_credit_minutes_per_variant_and_main_module_count(cell, minutes):
    variant, several = cell
    tariff = tariff_in_force(on=date(2026, 1, 1))
    counts = (2, 3, 4) if several else (0, 1)
    assert {tariff.credit_minutes(variant, n) for n in counts} == {minutes}


@pytest.mark.parametrize(
    ("activity", "half_fare", "rate"),
    [
        ("support", False, "175.00"),
        ("support", True, "119.00"),
        ("data_check", False, "175.00"),
        ("data_check", True, "175.00"),  # half-fare is for support only (R6)
        ("training", True, "175.00"),
        ("forms", True, "175.00"),
        ("programming", False, "195.00"),
        ("programming", True, "195.00"),
        ("first_install", False, "0.00"),
        ("verified_bug", True, "0.00"),
    ],
)
def test_hourly_rates_of_the_concept(activity, half_fare, rate):
    tariff = tariff_in_force(on=date(2026, 6, 1))
    assert tariff.hourly_rate(activity, half_fare=half_fare) == Decimal(rate)


def test_unknown_activity_has_no_rate():
    with pytest.raises(ValidationError, match="Unknown activity “gardening” in the tariff from"):
        tariff_in_force(on=date(2026, 6, 1)).hourly_rate("gardening")


def test_tariff_in_force_is_the_latest_one_started():
    new = copy_tariff(date(2027, 1, 1), rates={"support": {"hourly_rate": Decimal("180.00")}})
    assert tariff_in_force(on=date(2024, 1, 1)).valid_from == date(2024, 1, 1)
    assert tariff_in_force(on=date(2026, 12, 31)).hourly_rate("support") == Decimal("175.00")
    assert tariff_in_force(on=date(2027, 1, 1)) == new
    assert tariff_in_force(on=date(2031, 5, 5)).hourly_rate("support") == Decimal("180.00")


def test_no_tariff_before_the_first_one():
    with pytest.raises(ValidationError, match=r"No tariff is in force on 31\.12\.2023"):
        tariff_in_force(on=date(2023, 12, 31))


def test_support_plus_capacity_follows_the_tariff_of_the_day():
    copy_tariff(date(2027, 1, 1), support_plus_capacity=150)
    assert support_plus_capacity(on=date(2026, 12, 31)) == 100
    assert support_plus_capacity(on=date(2027, 1, 1)) == 150


def test_tariff_validation_refuses_negative_rates_and_vat_over_100():
    tariff = Tariff.objects.get()
    tariff.vat_rate = Decimal("100.01")
    tariff.support_plus_price = Decimal("-1.00")
    with pytest.raises(ValidationError) as exc:
        tariff.full_clean()
    assert set(exc.value.message_dict) == {"support_plus_price", "vat_rate"}
    row = tariff.activities.get(code="forms")
    row.hourly_rate = Decimal("-1.00")
    row.half_fare_rate = Decimal("-0.50")
    with pytest.raises(ValidationError) as exc:
        row.full_clean()
    assert set(exc.value.message_dict) == {"hourly_rate", "half_fare_rate"}


def test_the_verified_software_error_stays_free():
    row = ActivityRate.objects.get(code="verified_bug")
    row.free = False
    with pytest.raises(ValidationError, match="verified software error is free"):
        row.full_clean()


@pytest.mark.parametrize(
    ("amount", "step", "expected"),
    [
        ("58.333", "0.01", "58.33"),
        ("14.585", "0.01", "14.59"),  # half-up, not banker's rounding
        ("0.004", "0.01", "0.00"),
        ("63.07", "0.05", "63.05"),
        ("63.075", "0.05", "63.10"),
        ("63.025", "0.05", "63.05"),
        ("63.024", "0.05", "63.00"),
    ],
)
def test_money_rounding_half_up(amount, step, expected):
    assert round_money(Decimal(amount), Decimal(step)) == Decimal(expected)


def test_money_rounding_refuses_floats():
    with pytest.raises(TypeError):
        round_money(58.333)


@pytest.mark.parametrize(
    ("summed", "expected"),
    [
        (None, "0.00"),  # no rows
        (0.1 + 0.2, "0.30"),  # SQLite's floating point sum of 0.10 + 0.20
        (58.33 + 29.75, "88.08"),
        (Decimal("12.345"), "12.35"),
        (-14.58, "-14.58"),
    ],
)
def test_a_database_sum_of_money_comes_back_exact_to_the_centime(summed, expected):
    assert summed_money(summed) == Decimal(expected)
    assert summed_money(summed).as_tuple().exponent == -2


def test_missing_credit_cells():
    variants = ["standard", "profi"]
    assert missing_credit_cells([("standard", False), ("profi", True)], variants) == [
        ("standard", True),
        ("profi", False),
    ]
    assert missing_credit_cells(CONCEPT_CREDIT.keys(), ["standard", "advanced", "profi"]) == []
