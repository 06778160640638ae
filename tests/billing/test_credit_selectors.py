"""credit_balance, work_summary and quote."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.models import Usage
from billing.selectors import credit_balance, quote, work_summary
from billing.services import record_usage
from customers.services import half_fare_subscribe
from tests.factories import ContactFactory, CustomerFactory, rental_customer, support_plus

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)


def test_credit_balance_lists_each_bucket():
    customer = rental_customer(variant="premium", modules=["COFI", "SAL"], rent=Decimal("2000"))
    anna = ContactFactory(customer=customer)
    support_plus(customer, [anna])
    record_usage(
        customer=customer,
        activity="support",
        minutes=40,
        performed_on=DAY,
        work_ref="C-1",
        contact=anna,
    )
    balance = credit_balance(customer=customer, on=DAY)
    rows = [
        (b.source, b.granted, b.used, b.remaining, b.valid_from, b.valid_to)
        for b in balance.buckets
    ]
    assert rows == [
        ("licence", 35, 35, 0, date(2026, 1, 1), date(2026, 12, 31)),
        ("support_plus", 120, 5, 115, date(2026, 1, 1), date(2026, 12, 31)),
    ]
    assert (balance.granted, balance.used, balance.remaining) == (155, 40, 115)
    assert balance.valid_to == date(2026, 12, 31)
    assert balance.buckets[1].registered_only


def test_credit_balance_outside_any_period_is_empty():
    customer = rental_customer()
    balance = credit_balance(customer=customer, on=date(2027, 1, 1))
    assert (balance.buckets, balance.remaining, balance.valid_to) == ([], 0, None)


def test_credit_balance_is_one_query(django_assert_num_queries):
    customer = rental_customer(variant="premium", rent=Decimal("2000"))
    support_plus(customer, [ContactFactory(customer=customer)])
    for n in range(20):
        record_usage(
            customer=customer, activity="support", minutes=3, performed_on=DAY, work_ref=f"C-{n}"
        )
    with django_assert_num_queries(1):
        assert credit_balance(customer=customer, on=DAY).used == 25


def test_work_summary_of_a_case():
    customer = rental_customer(variant="standard")  # 5 min
    for activity, minutes in [("support", 7), ("first_install", 20), ("forms", 30)]:
        record_usage(
            customer=customer, activity=activity, minutes=minutes, performed_on=DAY, work_ref="C-7"
        )
    record_usage(
        customer=customer, activity="support", minutes=99, performed_on=DAY, work_ref="OTHER"
    )
    summary = work_summary(customer=customer, work_ref="C-7")
    assert (
        summary.logged_minutes,
        summary.charged_minutes,
        summary.credit_minutes,
        summary.billable_minutes,
        summary.free_minutes,
    ) == (57, 60, 5, 35, 20)
    # support: 5 billable × 175/60 = 14.58; forms: 30 × 175/60 = 87.50
    assert summary.amount == Decimal("102.08")


def test_quote_writes_nothing_and_matches_what_posting_does():
    customer = rental_customer(variant="profi", modules=["COFI"])  # 15 min
    half_fare_subscribe(customer=customer, start=date(2026, 1, 1), end=date(2026, 12, 31))
    q = quote(customer=customer, activity="support", minutes=22, on=DAY)
    assert Usage.objects.count() == 0
    assert (q.charged_minutes, q.credit_minutes, q.billable_minutes, q.rate, q.amount) == (
        25,
        15,
        10,
        Decimal("119.00"),
        Decimal("19.83"),
    )
    usage = record_usage(
        customer=customer, activity="support", minutes=22, performed_on=DAY, work_ref="C-1"
    )
    assert (usage.charged_minutes, usage.credit_minutes, usage.billable_minutes, usage.amount) == (
        q.charged_minutes,
        q.credit_minutes,
        q.billable_minutes,
        q.amount,
    )


def test_quote_within_a_case_respects_its_rounding():
    customer = rental_customer(rent=Decimal(0))
    record_usage(customer=customer, activity="support", minutes=3, performed_on=DAY, work_ref="C-1")
    assert (
        quote(
            customer=customer, activity="support", minutes=2, on=DAY, work_ref="C-1"
        ).charged_minutes
        == 0
    )
    assert quote(customer=customer, activity="support", minutes=2, on=DAY).charged_minutes == 5


def test_quote_refuses_like_record_usage():
    with pytest.raises(ValidationError, match="current rental version"):
        quote(customer=CustomerFactory(), activity="support", minutes=10, on=DAY)
    with pytest.raises(ValidationError, match="more than 0"):
        quote(customer=rental_customer(), activity="support", minutes=0, on=DAY)


def test_credit_balances_of_many_customers_equal_each_ones_balance(django_assert_num_queries):
    """The API's lists read the credit of a page of customers in one query: the same
    buckets as ``credit_balance`` for each, on every day."""
    from billing.selectors import credit_balances

    plus = rental_customer(variant="premium", modules=["COFI", "SAL"], rent=Decimal("2000"))
    anna = ContactFactory(customer=plus)
    support_plus(plus, [anna])
    record_usage(
        customer=plus,
        activity="support",
        minutes=40,
        performed_on=DAY,
        work_ref="C-1",
        contact=anna,
    )
    later = rental_customer(start=date(2026, 6, 1), end=date(2027, 5, 31))
    nothing = CustomerFactory()
    customers = [plus, later, nothing]
    for on in (date(2026, 1, 1), DAY, date(2026, 3, 1), date(2026, 7, 1), date(2027, 1, 1)):
        with django_assert_num_queries(1):
            balances = credit_balances(customers=customers, on=on)
        assert list(balances) == [c.pk for c in customers]
        for customer in customers:
            assert balances[customer.pk] == credit_balance(customer=customer, on=on), (customer, on)
    assert credit_balances(customers=[plus.pk], on=DAY)[plus.pk].used == 40
