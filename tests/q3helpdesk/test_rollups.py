"""The dashboard's daily roll-ups: what the services add as the desk works equals what
``rollups_rebuild`` derives from the ledger and the cases, after any mix of operations.

Random sequences of the desk's writes (phone and e-mail cases and leads, time in every
activity with and without credit, half-fare and Support+, removed entries, cases marked
and unmarked as verified software errors, resolved and reopened, over several days) are
played through the services; the roll-up rows they leave are compared with a rebuild.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command

from billing.models import CreditGrant, DailyCredit, DailyUsage, UsageDraw
from billing.services import record_usage, usage_reverse
from cases.models import Case, DailyCases, TimeEntry
from cases.services import (
    case_create,
    case_mark_verified_bug,
    case_set_status,
    case_unmark_verified_bug,
    time_entry_add,
    time_entry_remove,
)
from customers.services import half_fare_subscribe
from q3helpdesk.rollups import rollup_add
from tests.factories import ContactFactory, CustomerFactory, make_company, rental_customer
from tests.factories import support_plus as subscribe_support_plus

pytestmark = pytest.mark.django_db
ZURICH = ZoneInfo("Europe/Zurich")
FIRST_DAY = date(2026, 3, 2)
ACTIVITIES = ["support", "support", "data_check", "training", "forms", "programming"]


def rows() -> dict[str, set[tuple]]:
    """The roll-up rows with a figure (a case reopened leaves a row of zeros behind)."""
    usage = {
        (
            *(r.day, r.customer_id, r.activity, r.postings),
            *(r.charged_minutes, r.free_minutes, r.credit_minutes, r.billable_minutes),
            Decimal(r.amount).quantize(Decimal("0.01")),
        )
        for r in DailyUsage.objects.all()
    }
    credit = {
        (r.day, r.customer_id, r.source, r.variant, r.minutes)
        for r in DailyCredit.objects.all()
        if r.minutes
    }
    cases = {
        (r.day, r.channel, r.kind, r.opened, r.resolved)
        for r in DailyCases.objects.all()
        if r.opened or r.resolved
    }
    grants = set(CreditGrant.objects.values_list("pk", "used_minutes"))
    return {"usage": usage, "credit": credit, "cases": cases, "grants": grants}


def at(day: date, hour: int):
    return time_machine.travel(datetime.combine(day, time(hour), tzinfo=ZURICH), tick=False)


def customers():
    make_company()
    plain = rental_customer(number="40001", rent=Decimal("960.00"), name="Crédit SA")
    profi = rental_customer(variant="profi", number="40002", name="Profi AG")
    half_fare_subscribe(customer=profi, start=date(2026, 1, 1), end=date(2026, 12, 31))
    registered = ContactFactory(customer=profi)
    subscribe_support_plus(profi, [registered])
    small = rental_customer(number="40003", rent=Decimal("90.00"), name="Klein GmbH")
    return [plain, profi, small], registered


def play(seed: int, steps: int) -> None:
    rng = random.Random(seed)
    (plain, profi, small), registered = customers()
    day, cases = FIRST_DAY, []
    for step in range(steps):
        if rng.random() < 0.3:
            day += timedelta(days=rng.choice([1, 1, 2, 3]))
        with at(day, 8 + step % 10):
            op = rng.choice(["case", "case", "lead", "time", "time", "time", "remove", "status"])
            op = op if cases or op in ("case", "lead") else "case"
            try:
                if op == "case":
                    customer = rng.choice([plain, profi, small])
                    contact = registered if customer == profi and rng.random() < 0.5 else None
                    channel = "support_plus" if contact else rng.choice(["phone", "email"])
                    cases.append(
                        case_create(
                            customer=customer, channel=channel, subject="Q", contact=contact
                        )
                    )
                elif op == "lead":
                    case_create(
                        customer=CustomerFactory(), channel="phone", subject="Passage", kind="lead"
                    )
                elif op == "time":
                    case = rng.choice(cases)
                    time_entry_add(
                        case=case,
                        activity=rng.choice(ACTIVITIES),
                        minutes=rng.choice([3, 5, 12, 20, 45, 90]),
                        performed_on=day - timedelta(days=rng.choice([0, 0, 1])),
                    )
                elif op == "remove":
                    entry = TimeEntry.objects.filter(reversal__isnull=True).order_by("?").first()
                    if entry is not None:
                        time_entry_remove(entry=entry, reason="Doublon")
                else:
                    case = Case.objects.get(pk=rng.choice(cases).pk)
                    if rng.random() < 0.3:
                        if case.verified_bug_at is None:
                            case_mark_verified_bug(case=case, bug_reference=f"BUG-{step}")
                        else:
                            case_unmark_verified_bug(case=case)
                    else:
                        wanted = "open" if case.status == "resolved" else "resolved"
                        case_set_status(case=case, status=wanted)
            except ValidationError:
                pass  # a refusal (a day before the case, a lead's time) changes nothing
    with at(day + timedelta(days=1), 9):  # at least one draw on credit, whatever came before
        last = case_create(customer=plain, channel="phone", subject="Encore")
        time_entry_add(case=last, activity="support", minutes=10, performed_on=last.opened_on)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_what_the_services_add_equals_a_rebuild(seed):
    play(seed, steps=70)
    incremental = rows()
    assert incremental["usage"] and incremental["cases"] and incremental["credit"]
    drawn = {g.pk: 0 for g in CreditGrant.objects.all()}
    for grant_id, minutes in UsageDraw.objects.values_list("grant_id", "minutes"):
        drawn[grant_id] += minutes
    assert incremental["grants"] == set(drawn.items())
    assert any(used for _, used in incremental["grants"])
    call_command("rollups_rebuild", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert rows() == incremental


def test_a_row_written_past_the_services_is_counted_after_a_rebuild():
    (plain, _, _), _ = customers()
    with at(FIRST_DAY, 9):
        usage = record_usage(
            customer=plain, activity="support", minutes=20, performed_on=FIRST_DAY, work_ref="C-1"
        )
        usage_reverse(usage=usage)
    before = rows()
    (row,) = DailyUsage.objects.all()
    assert (row.postings, row.charged_minutes, row.credit_minutes) == (
        2,
        0,
        0,
    )  # net of the reversal
    DailyUsage.objects.all().delete()
    DailyCredit.objects.all().delete()
    CreditGrant.objects.update(used_minutes=999)
    assert rows()["usage"] == set()
    call_command("rollups_rebuild", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert rows() == before


# --- the shared upsert --------------------------------------------------------------------


def test_rollup_add_creates_the_row_then_adds_to_it_in_one_query(django_assert_num_queries):
    customer = CustomerFactory()
    key = {"day": FIRST_DAY, "customer_id": customer.pk, "activity": "support"}
    with django_assert_num_queries(1):
        rollup_add(
            DailyUsage, key, {"postings": 1, "charged_minutes": 15, "amount": Decimal("43.75")}
        )
    with django_assert_num_queries(1):
        rollup_add(
            DailyUsage, key, {"postings": 1, "charged_minutes": 5, "amount": Decimal("14.60")}
        )
    with django_assert_num_queries(0):  # nothing to add
        rollup_add(DailyUsage, key, {"postings": 0, "amount": Decimal("0.00")})
    row = DailyUsage.objects.get(**key)
    assert (row.postings, row.charged_minutes, row.free_minutes, row.amount) == (
        2,
        20,
        0,
        Decimal("58.35"),
    )
    rollup_add(DailyUsage, {**key, "activity": "training"}, {"postings": 1})
    assert DailyUsage.objects.filter(customer=customer).count() == 2


def test_rollup_add_needs_the_fields_of_a_unique_constraint():
    with pytest.raises(ValueError, match="no unique constraint"):
        rollup_add(DailyUsage, {"day": FIRST_DAY, "activity": "support"}, {"postings": 1})
