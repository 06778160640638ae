"""Several desks logging time at the same moment: each credit minute is spent exactly once."""

import threading
from datetime import date

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import translation

from billing.models import Usage, UsageDraw
from billing.services import record_usage
from tests.factories import rental_customer


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_small_credit_is_spent_exactly_once_under_concurrent_postings():
    customer = rental_customer(variant="standard", modules=["COFI", "SAL"])  # 10 minutes
    desks = 6
    barrier = threading.Barrier(desks)
    errors = []

    def log_time(n: int) -> None:
        translation.activate("en")
        try:
            barrier.wait()
            record_usage(
                customer=customer,
                activity="support",
                minutes=5,
                performed_on=date(2026, 3, 2),
                work_ref=f"C-{n}",
            )
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=log_time, args=(n,)) for n in range(desks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert Usage.objects.count() == desks
    assert UsageDraw.objects.aggregate(total=Sum("minutes"))["total"] == 10
    assert sorted(Usage.objects.values_list("credit_minutes", flat=True)) == [0, 0, 0, 0, 5, 5]
    assert Usage.objects.aggregate(total=Sum("billable_minutes"))["total"] == 20
