"""usage_reverse: corrections are reversing postings; the case's rounding stays right."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from billing.models import Usage, UsageDraw
from billing.selectors import credit_balance, work_summary
from billing.services import usage_reverse
from tests.factories import make_usage, rental_customer

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)


def test_reversal_gives_the_credit_back_to_its_grant():
    customer = rental_customer(variant="profi", modules=["COFI", "SAL"])  # 25 min
    usage = make_usage(customer, 12)
    assert credit_balance(customer=customer, on=DAY).remaining == 10
    reversal = usage_reverse(usage=usage, reason="logged on the wrong customer")
    assert (reversal.logged_minutes, reversal.charged_minutes, reversal.credit_minutes) == (
        -12,
        -15,
        -15,
    )
    assert reversal.reverses == usage and reversal.reason == "logged on the wrong customer"
    assert credit_balance(customer=customer, on=DAY).remaining == 25
    assert list(UsageDraw.objects.filter(usage=reversal).values_list("minutes", flat=True)) == [-15]


def test_reversal_withdraws_billable_minutes_and_their_amount():
    customer = rental_customer(rent=Decimal(0))
    usage = make_usage(customer, 20)
    reversal = usage_reverse(usage=usage)
    assert (reversal.billable_minutes, reversal.amount, reversal.rate) == (
        -20,
        Decimal("-58.33"),
        Decimal("175.00"),
    )
    summary = work_summary(customer=customer, work_ref="C-1")
    assert (summary.logged_minutes, summary.charged_minutes, summary.amount) == (
        0,
        0,
        Decimal("0.00"),
    )


def test_rounding_of_the_case_is_recomputed():
    customer = rental_customer(rent=Decimal(0))
    first = make_usage(customer, 1)  # total 1 → 5 charged
    make_usage(customer, 4)  # total 5 → still 5
    make_usage(customer, 1)  # total 6 → 10
    reversal = usage_reverse(usage=make_usage(customer, 3))  # 9 → 10 → back to 6 → 10: nothing
    assert reversal.charged_minutes == 0
    second = usage_reverse(usage=first)  # total 6 → 5: 5 minutes no longer charged
    assert second.charged_minutes == -5
    summary = work_summary(customer=customer, work_ref="C-1")
    assert (summary.logged_minutes, summary.charged_minutes, summary.billable_minutes) == (5, 5, 5)


def test_reversal_of_an_entry_that_was_covered_by_earlier_rounding():
    customer = rental_customer(variant="standard")  # 5 min
    a = make_usage(customer, 1)  # 5 charged from credit
    b = make_usage(customer, 4)  # total 5: charged 0
    assert (a.credit_minutes, b.charged_minutes) == (5, 0)
    rev = usage_reverse(usage=a)  # total 4 → still 5 charged: nothing moves
    assert rev.charged_minutes == 0
    assert credit_balance(customer=customer, on=DAY).remaining == 0
    assert work_summary(customer=customer, work_ref="C-1").credit_minutes == 5


def test_a_usage_is_reversed_once_and_a_reversal_never():
    customer = rental_customer()
    usage = make_usage(customer, 10)
    reversal = usage_reverse(usage=usage)
    with pytest.raises(ValidationError, match="already been reversed"):
        usage_reverse(usage=usage)
    with pytest.raises(ValidationError, match="cannot be reversed"):
        usage_reverse(usage=reversal)
    assert Usage.objects.count() == 2


def test_invoiced_usage_cannot_be_reversed():
    customer = rental_customer(rent=Decimal(0))
    usage = make_usage(customer, 10)
    Usage.objects.filter(pk=usage.pk).mark_invoiced(timezone.now())
    with pytest.raises(ValidationError, match="on an issued invoice"):
        usage_reverse(usage=usage)
    assert Usage.objects.count() == 1


def test_bad_input_to_reverse():
    customer = rental_customer()
    usage = make_usage(customer, 10)
    with pytest.raises(ValidationError, match="existing usage"):
        usage_reverse(usage=None)
    with pytest.raises(ValidationError, match="at most 200"):
        usage_reverse(usage=usage, reason="x" * 201)
    assert Usage.objects.count() == 1


def test_ledger_rows_can_be_neither_changed_nor_deleted():
    customer = rental_customer()
    usage = make_usage(customer, 10)
    usage.logged_minutes = 1
    with pytest.raises(ValidationError, match="cannot be changed"):
        usage.save()
    with pytest.raises(ValidationError, match="append-only"):
        usage.delete()
    with pytest.raises(ValidationError, match="append-only"):
        Usage.objects.all().delete()
    usage.refresh_from_db()
    assert usage.logged_minutes == 10
