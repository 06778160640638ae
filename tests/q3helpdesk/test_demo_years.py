"""`seed_demo --scale N --years Y`: years of activity written in bulk through the rules,
checked by the ledger's invariants, with credit left for part of the customers."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Max, Min
from django.test import override_settings

from billing.models import (
    CreditGrant,
    Invoice,
    Usage,
    UsageDraw,
)
from billing.selectors import charge_posting, credit_balance
from cases.models import Case, CaseKind, TimeEntry
from customers.models import (
    Customer,
    HalfFareSubscription,
    RentalPeriod,
    SupportPlusSubscription,
)
from q3helpdesk.demo.checks import ledger_problems
from q3helpdesk.demo.seeding import GENERATED_NUMBER_BASE

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 15, 30, tzinfo=ZoneInfo("Europe/Zurich"))
TODAY = NOW.date()
SCALE = 120


def _seed(settings, *args):
    settings.DEBUG = True
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", *args)


def _generated():
    return Customer.objects.filter(
        number__in=[str(GENERATED_NUMBER_BASE + i) for i in range(1, SCALE + 1)]
    )


@pytest.fixture(scope="module")
def three_years(django_db_setup, django_db_blocker):
    """Three years for the demo and SCALE generated customers, seeded once for the module
    and rolled back."""
    with django_db_blocker.unblock(), override_settings(DEBUG=True):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with time_machine.travel(NOW, tick=False):
                call_command("seed_demo", "--scale", str(SCALE), "--years", "3")
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def test_years_of_activity_for_the_generated_customers(three_years):
    generated = _generated()
    cases = Case.objects.filter(customer__in=generated, kind=CaseKind.CASE)
    first = cases.aggregate(first=Min("opened_on"))["first"]
    # Three years back to the first tariff (1 January 2024), month after month.
    assert first < date(2024, 2, 1)
    months = {(d.year, d.month) for d in cases.values_list("opened_on", flat=True)}
    assert len(months) >= 34
    # The rental periods cover the years: renewed every year for most customers.
    eligible_then = RentalPeriod.objects.filter(
        licence__customer__in=generated, start__lte=date(2024, 3, 1), end__gte=date(2024, 3, 1)
    ).count()
    assert eligible_then > 0.5 * generated.count()
    # Subscriptions renew with the periods; each year its own credit grants (R3, R7).
    renewed = (
        HalfFareSubscription.objects.filter(customer__in=generated)
        .values("customer")
        .annotate(n=Count("id"))
        .filter(n__gte=2)
    )
    assert renewed.exists()
    # (No credit before the first tariff, 1 January 2024.)
    plus = SupportPlusSubscription.objects.filter(
        customer__in=generated, start__gte=date(2024, 1, 1)
    )
    granted = CreditGrant.objects.filter(support_plus__in=plus).values_list("support_plus_id")
    assert {pk for (pk,) in granted} == set(plus.values_list("pk", flat=True))
    grant_years = CreditGrant.objects.filter(customer__in=generated, source="licence").aggregate(
        first=Min("valid_from"), last=Max("valid_to")
    )
    assert grant_years["first"] <= date(2024, 1, 1) and grant_years["last"] >= TODAY
    # Every time entry is a posting of the ledger; invoices for every complete month.
    assert TimeEntry.objects.filter(case__customer__in=generated).count() > 1.5 * cases.count()
    periods = set(Invoice.objects.values_list("period_start", flat=True))
    assert date(2024, 1, 1) in periods and date(2026, 9, 1) in periods
    assert date(2026, 10, 1) not in periods  # last month waits for billing
    assert ledger_problems() == []


def test_the_bulk_postings_follow_the_rules_of_the_desk(three_years):
    """Each posting's minutes and amount are what the desk's rule functions give for the
    case's postings before it (checked here from the written ledger)."""
    usages = Usage.objects.filter(customer__in=_generated(), reverses__isnull=True)
    checked = 0
    for usage in usages.order_by("pk")[:400]:
        earlier = Usage.objects.filter(
            customer_id=usage.customer_id,
            work_ref=usage.work_ref,
            activity=usage.activity,
            pk__lt=usage.pk,
        )
        logged = sum(u.logged_minutes for u in earlier)
        charged = sum(u.charged_minutes for u in earlier)
        billable = sum(u.billable_minutes for u in earlier if u.rate == usage.rate)
        row = usage.tariff.activity(usage.activity)
        draws = [(d.grant, d.minutes) for d in UsageDraw.objects.filter(usage=usage)]
        expected = charge_posting(
            row=row,
            unit=usage.tariff.unit_minutes,
            minutes=usage.logged_minutes,
            before_logged=logged,
            before_charged=charged,
            before_billable=billable,
            grants=[(g, m) for g, m in draws],  # what it drew: taken in full, in order
            half_fare=usage.half_fare,
            rate=usage.rate,
        )
        assert (usage.charged_minutes, usage.billable_minutes, usage.amount) == (
            expected.charged,
            expected.billable,
            expected.amount,
        ), usage
        if usage.billable_minutes:  # R8: billable only when no covering credit is left
            for grant in CreditGrant.objects.filter(
                customer_id=usage.customer_id,
                source__in=row.credit_sources(registered=True),
                valid_from__lte=usage.performed_on,
                valid_to__gte=usage.performed_on,
            ):
                used = sum(d.minutes for d in grant.draws.filter(usage__pk__lte=usage.pk))
                registered_only = grant.source == "support_plus"
                assert used == grant.minutes or registered_only or not row.licence_credit
        checked += 1
    assert checked > 100


def test_generated_customers_keep_credit_in_a_good_share(three_years):
    with_credit = left = 0
    for customer in _generated():
        buckets = [
            b
            for b in credit_balance(customer=customer, on=TODAY).buckets
            if b.source == "licence" and b.granted
        ]
        if buckets:
            with_credit += 1
            left += any(b.remaining for b in buckets)
    assert with_credit >= 30
    assert 0.3 <= left / with_credit <= 0.7, (left, with_credit)
