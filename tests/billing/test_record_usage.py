"""record_usage: what is free, what comes from the credit, what is billed (R1, R4–R9, R12)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.models import CreditAllowance, Usage, UsageDraw
from billing.selectors import credit_balance
from billing.services import record_usage
from customers.services import half_fare_subscribe, rental_period_create
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    LicenceFactory,
    make_usage,
    rental_customer,
)
from tests.factories import support_plus as subscribe_support_plus

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)


def split(usage):
    return (usage.charged_minutes, usage.credit_minutes, usage.billable_minutes, usage.free_minutes)


# --- R4 / R6 rates ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("activity", "half_fare", "rate", "amount"),
    [
        ("support", False, "175.00", "58.33"),  # 20 min × 175 / 60 = 58.333…
        ("support", True, "119.00", "39.67"),  # half-fare for support (R6)
        ("data_check", True, "175.00", "58.33"),  # no half-fare for a data check
        ("forms", True, "175.00", "58.33"),
        ("training", True, "175.00", "58.33"),
        ("programming", False, "195.00", "65.00"),
        ("programming", True, "195.00", "65.00"),
    ],
)
def test_rates_once_the_credit_is_used_up(activity, half_fare, rate, amount):
    customer = rental_customer(rent=Decimal("50.00"))  # below the threshold: no credit
    if half_fare:
        half_fare_subscribe(customer=customer, start=date(2026, 1, 1), end=date(2026, 12, 31))
    usage = make_usage(customer, 20, activity=activity)
    assert split(usage) == (20, 0, 20, 0)
    assert (usage.rate, usage.amount, usage.half_fare) == (
        Decimal(rate),
        Decimal(amount),
        half_fare and activity == "support",
    )


@pytest.mark.parametrize("activity", ["first_install", "verified_bug"])
def test_free_activities_post_free_minutes(activity):
    customer = rental_customer(variant="premium", modules=["COFI", "SAL"])
    usage = make_usage(customer, 42, activity=activity)
    assert split(usage) == (45, 0, 0, 45)
    assert (usage.rate, usage.amount) == (Decimal("0.00"), Decimal("0.00"))
    assert credit_balance(customer=customer, on=DAY).remaining == 35  # credit untouched


# --- R5 rounding --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("logged", "charged"), [(1, 5), (3, 5), (5, 5), (7, 10), (10, 10), (11, 15)]
)
def test_five_minute_unit_on_a_single_entry(logged, charged):
    customer = rental_customer(rent=Decimal("0"))
    assert make_usage(customer, logged).charged_minutes == charged


def test_later_entries_of_a_case_post_only_the_difference():
    customer = rental_customer(rent=Decimal("0"))
    charged = [make_usage(customer, m).charged_minutes for m in (3, 2, 1, 4, 7)]
    # totals 3, 5, 6, 10, 17 → 5, 5, 10, 10, 20
    assert charged == [5, 0, 5, 0, 10]
    assert sum(charged) == 20


def test_rounding_is_per_case_and_per_activity():
    customer = rental_customer(rent=Decimal("0"))
    assert make_usage(customer, 3, activity="support", ref="C-1").charged_minutes == 5
    assert (
        make_usage(customer, 3, activity="support", ref="C-2").charged_minutes == 5
    )  # another case
    assert (
        make_usage(customer, 3, activity="forms", ref="C-1").charged_minutes == 5
    )  # another activity
    assert (
        make_usage(customer, 2, activity="support", ref="C-1").charged_minutes == 0
    )  # 5 in C-1 support


# --- R3 credit: expiry, no carry-over -----------------------------------------------------


def test_credit_is_valid_only_inside_its_period():
    customer = rental_customer(variant="standard", start=date(2026, 1, 1), end=date(2026, 12, 31))
    licence = customer.licences.get()
    rental_period_create(
        licence=licence, start=date(2027, 1, 1), end=date(2027, 12, 31), annual_rent=Decimal(0)
    )
    last_day = make_usage(customer, 3, on=date(2026, 12, 31), ref="C-1")
    assert split(last_day) == (5, 5, 0, 0)
    # 2027's period has rent 0: no credit, and 2026's credit does not carry over.
    day_after = make_usage(customer, 3, on=date(2027, 1, 1), ref="C-2")
    assert split(day_after) == (5, 0, 5, 0)


def test_unused_credit_does_not_carry_over():
    customer = rental_customer(variant="premium", modules=["COFI", "SAL"])  # 35 min in 2026
    licence = customer.licences.get()
    rental_period_create(
        licence=licence, start=date(2027, 1, 1), end=date(2027, 12, 31), annual_rent=Decimal(900)
    )
    assert credit_balance(customer=customer, on=date(2027, 1, 1)).remaining == 35  # not 70
    usage = make_usage(customer, 40, on=date(2027, 1, 2))
    assert split(usage) == (40, 35, 5, 0)


def test_three_minutes_of_credit_left_and_ten_charged():
    # The tariff comes from the database: a credit cell of 3 minutes leaves exactly 3.
    CreditAllowance.objects.filter(variant="standard", several_main_modules=False).update(minutes=3)
    customer = rental_customer(variant="standard", modules=["COFI"])
    assert credit_balance(customer=customer, on=DAY).remaining == 3
    usage = make_usage(customer, 8, ref="B")  # charged 10
    assert split(usage) == (10, 3, 7, 0)
    assert usage.amount == Decimal("20.42")  # 7 × 175 / 60 = 20.4166…
    assert credit_balance(customer=customer, on=DAY).remaining == 0


def test_credit_is_spent_across_cases_until_it_is_gone():
    customer = rental_customer(variant="advanced", modules=["COFI", "SAL"])  # 15 min
    assert split(make_usage(customer, 9, ref="A")) == (10, 10, 0, 0)
    assert split(make_usage(customer, 9, ref="B")) == (10, 5, 5, 0)
    assert split(make_usage(customer, 9, ref="C")) == (10, 0, 10, 0)


# --- R7 / R8: Support+ ----------------------------------------------------------------------


@pytest.fixture
def vip():
    """Premium, one main module (25 min), Support+ (120 min) for Anna; Ben is not registered."""
    customer = rental_customer(variant="premium", modules=["COFI"], rent=Decimal("1200"))
    anna = ContactFactory(customer=customer, name="Anna")
    ben = ContactFactory(customer=customer, name="Ben")
    subscribe_support_plus(customer, [anna])
    return customer, anna, ben


def test_support_plus_minutes_only_for_registered_persons(vip):
    customer, anna, ben = vip
    for_ben = make_usage(customer, 30, contact=ben, ref="B")
    assert split(for_ben) == (30, 25, 5, 0)  # licence credit only, then billable
    for_anna = make_usage(customer, 30, contact=anna, ref="A")
    assert split(for_anna) == (30, 30, 0, 0)  # Support+ credit
    assert credit_balance(customer=customer, on=DAY).remaining == 90


@pytest.mark.parametrize("activity", ["data_check", "training"])
def test_data_check_and_training_covered_only_for_registered_persons(vip, activity):
    customer, anna, ben = vip
    assert split(make_usage(customer, 10, activity=activity, contact=ben, ref="B")) == (
        10,
        0,
        10,
        0,
    )
    assert split(make_usage(customer, 10, activity=activity, contact=anna, ref="A")) == (
        10,
        10,
        0,
        0,
    )


@pytest.mark.parametrize("activity", ["forms", "programming"])
def test_forms_and_programming_never_covered(vip, activity):
    customer, anna, _ben = vip
    assert split(make_usage(customer, 10, activity=activity, contact=anna)) == (10, 0, 10, 0)


def test_consumption_order_expiring_first_licence_before_support_plus_on_a_tie(vip):
    customer, anna, _ben = vip
    usage = make_usage(customer, 30, contact=anna)
    draws = list(UsageDraw.objects.filter(usage=usage).select_related("grant").order_by("id"))
    # Both end on 31.12.2026: the licence's 25 minutes go first, then 5 of Support+.
    assert [(d.grant.source, d.minutes) for d in draws] == [("licence", 25), ("support_plus", 5)]


def test_credit_expiring_first_is_used_first():
    customer = rental_customer(
        variant="premium",
        modules=["COFI"],
        start=date(2025, 7, 1),
        end=date(2026, 6, 30),
        rent=Decimal("1200"),
    )
    anna = ContactFactory(customer=customer)
    # The renewal, entered already: Support+ must lie in rental periods (R7). Its credit
    # starts on 01.07.2026, after the work.
    rental_period_create(
        licence=customer.licences.get(),
        start=date(2026, 7, 1),
        end=date(2027, 6, 30),
        annual_rent=Decimal("1200"),
    )
    subscribe_support_plus(customer, [anna], start=date(2026, 1, 1), end=date(2026, 12, 31))
    usage = make_usage(customer, 30, contact=anna)
    sources = list(
        UsageDraw.objects.filter(usage=usage)
        .order_by("id")
        .values_list("grant__valid_to", "minutes")
    )
    assert sources == [(date(2026, 6, 30), 25), (date(2026, 12, 31), 5)]


# --- R1 / R9 and bad input ------------------------------------------------------------------


def test_not_eligible_customer_is_refused_with_the_rental_switch_hint():
    customer = CustomerFactory()
    LicenceFactory(customer=customer, kind="purchase")
    with pytest.raises(ValidationError, match="current rental version"):
        make_usage(customer, 10)
    assert Usage.objects.count() == 0


def test_expired_customer_is_refused():
    customer = rental_customer(start=date(2025, 1, 1), end=date(2025, 12, 31))
    with pytest.raises(ValidationError, match=r"ended on 31\.12\.2025"):
        make_usage(customer, 10)
    assert Usage.objects.count() == 0


def test_first_install_only_in_the_first_rental_period():
    customer = rental_customer(start=date(2025, 1, 1), end=date(2025, 12, 31))
    rental_period_create(
        licence=customer.licences.get(),
        start=date(2026, 1, 1),
        end=date(2026, 12, 31),
        annual_rent=Decimal(480),
    )
    assert (
        make_usage(customer, 30, activity="first_install", on=date(2025, 2, 1)).free_minutes == 30
    )
    with pytest.raises(ValidationError, match="first rental period"):
        make_usage(customer, 30, activity="first_install", on=date(2026, 2, 1))
    assert Usage.objects.count() == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"minutes": 0}, "more than 0"),
        ({"minutes": -5}, "more than 0"),
        ({"minutes": 721}, "At most 720 minutes"),
        ({"minutes": 10.5}, "whole number"),
        ({"minutes": "10"}, "whole number"),
        ({"minutes": True}, "whole number"),
        ({"activity": "gardening"}, "Unknown activity"),
        ({"performed_on": date(2027, 3, 16)}, "future"),
        ({"performed_on": "2026-03-02"}, "must be a date"),
        ({"work_ref": ""}, "reference of its case"),
        ({"work_ref": "   "}, "reference of its case"),
        ({"work_ref": "X" * 65}, "at most 64"),
        ({"label": "x" * 201}, "at most 200"),
    ],
)
def test_bad_input_is_refused_and_nothing_posted(kwargs, message):
    customer = rental_customer()
    args = {
        "customer": customer,
        "activity": "support",
        "minutes": 10,
        "performed_on": DAY,
        "work_ref": "C-1",
        **kwargs,
    }
    with pytest.raises(ValidationError, match=message):
        record_usage(**args)
    assert Usage.objects.count() == 0 and UsageDraw.objects.count() == 0


def test_contact_of_another_customer_is_refused():
    customer = rental_customer()
    with pytest.raises(ValidationError, match="not a contact of this customer"):
        make_usage(customer, 10, contact=ContactFactory())
    assert Usage.objects.count() == 0


def test_exactly_720_minutes_are_accepted():
    customer = rental_customer(rent=Decimal(0))
    assert make_usage(customer, 720).charged_minutes == 720


def test_usage_records_who_and_what():
    customer = rental_customer()
    contact = ContactFactory(customer=customer)
    from tests.factories import UserFactory

    staff = UserFactory()
    usage = record_usage(
        customer=customer,
        activity="support",
        minutes=4,
        performed_on=DAY,
        work_ref=" C-9 ",
        contact=contact,
        label="Question about VAT report",
        performed_by=staff,
    )
    usage.refresh_from_db()
    assert (usage.work_ref, usage.contact, usage.performed_by, usage.label) == (
        "C-9",
        contact,
        staff,
        "Question about VAT report",
    )
    assert usage.tariff.valid_from == date(2024, 1, 1)
