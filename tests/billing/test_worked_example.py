"""The worked example of the README ("How support time is charged"), figure by figure."""

from datetime import date
from decimal import Decimal

import pytest

from billing.selectors import credit_balance, work_summary
from billing.services import record_usage
from customers import services as customers

pytestmark = pytest.mark.django_db


def test_readme_worked_example():
    muller = customers.customer_create(name="Schreinerei Müller AG", language="de")
    licence = customers.licence_create(customer=muller, variant="profi", modules=["COFI", "SAL"])
    customers.rental_period_create(
        licence=licence,
        start=date(2026, 1, 1),
        end=date(2026, 12, 31),
        annual_rent=Decimal("1440.00"),
    )
    customers.half_fare_subscribe(customer=muller, start=date(2026, 1, 1), end=date(2026, 12, 31))
    assert credit_balance(customer=muller, on=date(2026, 1, 5)).remaining == 25

    def log(ref, activity, minutes, day):
        return record_usage(
            customer=muller, activity=activity, minutes=minutes, performed_on=day, work_ref=ref
        )

    # Case 1: a 12-minute call → 15 charged, all from the credit.
    a = log("2026-0001", "support", 12, date(2026, 2, 3))
    assert (a.charged_minutes, a.credit_minutes, a.amount) == (15, 15, Decimal("0.00"))

    # Case 2: a 7-minute call and a 20-minute data check.
    b1 = log("2026-0002", "support", 7, date(2026, 5, 12))
    assert (b1.charged_minutes, b1.credit_minutes, b1.billable_minutes) == (10, 10, 0)
    b2 = log("2026-0002", "data_check", 20, date(2026, 5, 12))
    assert (b2.billable_minutes, b2.rate, b2.amount) == (20, Decimal("175.00"), Decimal("58.33"))

    # Case 3: 14 minutes of support at the half-fare rate, and a verified bug (free).
    c1 = log("2026-0003", "support", 14, date(2026, 9, 8))
    assert (c1.charged_minutes, c1.credit_minutes, c1.billable_minutes) == (15, 0, 15)
    assert (c1.rate, c1.amount) == (Decimal("119.00"), Decimal("29.75"))
    c2 = log("2026-0003", "verified_bug", 30, date(2026, 9, 8))
    assert (c2.free_minutes, c2.amount) == (30, Decimal("0.00"))

    totals = [
        work_summary(customer=muller, work_ref=r).amount
        for r in ("2026-0001", "2026-0002", "2026-0003")
    ]
    assert totals == [Decimal("0.00"), Decimal("58.33"), Decimal("29.75")]
    assert sum(totals) == Decimal("88.08")
    assert credit_balance(customer=muller, on=date(2026, 9, 8)).remaining == 0
