"""What logging time costs the database: a fixed number of statements per posting, the
hot path of the desk (benchmarked by ``scripts/bench_posting.py``)."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import UsageDraw
from cases.services import time_entry_add
from tests.factories import make_case, rental_customer

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)


def statements(run) -> list[str]:
    """The statements ``run`` sends, savepoints aside (the test's own transaction turns
    the service's into savepoints)."""
    with CaptureQueriesContext(connection) as captured:
        run()
    return [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]


@pytest.fixture
def used_tariff(django_capture_on_commit_callbacks):
    """A first posting committed, as on any working day: the process keeps the rows of the
    tariff it used, and later postings read only the tariff's own row."""
    case = make_case(rental_customer(rent=Decimal("50.00")))
    with django_capture_on_commit_callbacks(execute=True):
        time_entry_add(case=case, activity="support", minutes=10, performed_on=DAY)


def log(case, note=""):
    return lambda: time_entry_add(
        case=case, activity="support", minutes=10, performed_on=DAY, note=note
    )


def test_a_billable_posting_runs_ten_statements_and_one_more_for_a_note(used_tariff):
    case = make_case(rental_customer(rent=Decimal("50.00")))  # below the credit threshold
    # Lock customer and case, the tariff, the last invoiced day, the support facts, the
    # case's minutes so far, its grants, the usage, its day's roll-up, the time entry.
    assert len(statements(log(case))) == 10
    # ... and the note added to the case's search row.
    assert len(statements(log(case, note="Rappel du client"))) == 11


def test_credit_adds_the_draw_the_grant_s_use_and_the_credit_roll_up(used_tariff):
    case = make_case(rental_customer())  # CHF 480 a year: licence credit
    found = statements(log(case))
    assert UsageDraw.objects.filter(usage__work_ref=case.reference).count() == 1
    assert len(found) == 13
    assert sum('"billing_usagedraw"' in s and s.startswith("INSERT") for s in found) == 1
    assert sum('"billing_dailycredit"' in s for s in found) == 1
