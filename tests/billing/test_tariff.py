from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.models import Activity, CreditAllowance, Tariff
from billing.rules import missing_credit_cells, round_money
from billing.selectors import support_plus_capacity, tariff_in_force

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


def _copy_tariff(valid_from: date, **changes) -> Tariff:
    base = Tariff.objects.get(valid_from=date(2024, 1, 1))
    cells = list(base.credit_allowances.all())
    base.pk = None
    base.valid_from = valid_from
    for name, value in changes.items():
        setattr(base, name, value)
    base.save()
    CreditAllowance.objects.bulk_create(
        CreditAllowance(
            tariff=base,
            variant=c.variant,
            several_main_modules=c.several_main_modules,
            minutes=c.minutes,
        )
        for c in cells
    )
    return base


def test_seeded_tariff_has_every_number_of_the_support_concept():
    tariff = Tariff.objects.get()
    assert tariff.valid_from == date(2024, 1, 1)
    assert tariff.rate_support == Decimal("175.00")
    assert tariff.half_fare_rate_support == Decimal("119.00")
    assert tariff.rate_data_check == Decimal("175.00")
    assert tariff.rate_training == Decimal("175.00")
    assert tariff.rate_forms == Decimal("175.00")
    assert tariff.rate_programming == Decimal("195.00")
    assert tariff.unit_minutes == 5
    assert tariff.credit_threshold == Decimal("100.00")
    assert tariff.support_plus_price == Decimal("565.00")
    assert tariff.support_plus_additional_person_price == Decimal("115.00")
    assert tariff.support_plus_extra_minutes == 120
    assert tariff.support_plus_capacity == 100
    assert tariff.vat_rate == Decimal("8.10")
    assert tariff.half_fare_price is None


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
        (Activity.SUPPORT, False, "175.00"),
        (Activity.SUPPORT, True, "119.00"),
        (Activity.DATA_CHECK, False, "175.00"),
        (Activity.DATA_CHECK, True, "175.00"),  # half-fare is for support only (R6)
        (Activity.TRAINING, True, "175.00"),
        (Activity.FORMS, True, "175.00"),
        (Activity.PROGRAMMING, False, "195.00"),
        (Activity.PROGRAMMING, True, "195.00"),
        (Activity.FIRST_INSTALL, False, "0.00"),
        (Activity.VERIFIED_BUG, True, "0.00"),
    ],
)
def test_hourly_rates_of_the_concept(activity, half_fare, rate):
    tariff = tariff_in_force(on=date(2026, 6, 1))
    assert tariff.hourly_rate(activity, half_fare=half_fare) == Decimal(rate)


def test_unknown_activity_has_no_rate():
    with pytest.raises(ValueError, match="unknown activity"):
        tariff_in_force(on=date(2026, 6, 1)).hourly_rate("gardening")


def test_tariff_in_force_is_the_latest_one_started():
    new = _copy_tariff(date(2027, 1, 1), rate_support=Decimal("180.00"))
    assert tariff_in_force(on=date(2024, 1, 1)).valid_from == date(2024, 1, 1)
    assert tariff_in_force(on=date(2026, 12, 31)).rate_support == Decimal("175.00")
    assert tariff_in_force(on=date(2027, 1, 1)) == new
    assert tariff_in_force(on=date(2031, 5, 5)).rate_support == Decimal("180.00")


def test_no_tariff_before_the_first_one():
    with pytest.raises(ValidationError, match=r"No tariff is in force on 31\.12\.2023"):
        tariff_in_force(on=date(2023, 12, 31))


def test_support_plus_capacity_follows_the_tariff_of_the_day():
    _copy_tariff(date(2027, 1, 1), support_plus_capacity=150)
    assert support_plus_capacity(on=date(2026, 12, 31)) == 100
    assert support_plus_capacity(on=date(2027, 1, 1)) == 150


def test_tariff_validation_refuses_negative_rates_and_vat_over_100():
    tariff = Tariff.objects.get()
    tariff.rate_forms = Decimal("-1.00")
    tariff.vat_rate = Decimal("100.01")
    with pytest.raises(ValidationError) as exc:
        tariff.full_clean()
    assert set(exc.value.message_dict) == {"rate_forms", "vat_rate"}


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


def test_missing_credit_cells():
    variants = ["standard", "profi"]
    assert missing_credit_cells([("standard", False), ("profi", True)], variants) == [
        ("standard", True),
        ("profi", False),
    ]
    assert missing_credit_cells(CONCEPT_CREDIT.keys(), ["standard", "advanced", "profi"]) == []
