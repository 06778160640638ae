"""A year of demo activity: cases, ledger, callbacks and invoices follow the rules."""

from collections import Counter, defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.db.models import Min, Sum
from django.utils import timezone

from billing.models import CreditGrant, Invoice, InvoiceStatus, Usage
from billing.selectors import credit_balance, work_summary
from billing.services import grants_sync_all
from cases.models import Callback, CallbackStatus, Case, CaseKind, CaseStatus, TimeEntry
from customers.models import Customer
from customers.selectors import support_status
from q3helpdesk.demo import activity as demo_activity
from q3helpdesk.demo import seeding

# R9: what a verified software error makes free (the seeded tariff), written out here.
FREE_ON_VERIFIED_BUG = {"support", "data_check"}

pytestmark = pytest.mark.django_db

ZURICH = ZoneInfo("Europe/Zurich")
NOW = datetime(2026, 11, 26, 15, 30, tzinfo=ZURICH)  # a Thursday afternoon
TODAY = NOW.date()


@pytest.fixture(scope="module")
def year(django_db_setup, django_db_blocker):
    """The demo customers with their year, seeded once for the module and rolled back."""
    with django_db_blocker.unblock(), time_machine.travel(NOW, tick=False):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            seeding.seed_users()
            seeding.seed_company()
            seeding.seed_customers(TODAY)
            grants_sync_all()
            yield demo_activity.seed_activity(today=TODAY)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _local(instant: datetime) -> datetime:
    return timezone.localtime(instant, ZURICH)


def _in_office_hours(instant: datetime) -> bool:
    local = _local(instant)
    return local.weekday() < 5 and "08:00" <= f"{local:%H:%M}" <= "18:00"


def test_the_demo_customers_get_a_lively_year(year):
    cases = Case.objects.filter(kind=CaseKind.CASE)
    per_month = Counter(f"{_local(c.created_at):%Y-%m}" for c in cases)
    assert len(per_month) == 12
    assert all(15 <= n <= 40 for n in per_month.values()), per_month
    assert year["cases"] == cases.count() and 200 <= year["cases"] <= 400
    assert 12 <= year["leads"] <= 60  # a few a month
    assert 70 <= year["callbacks"] <= 130  # about eight a month
    assert _local(Case.objects.aggregate(first=Min("created_at"))["first"]).date() >= date(
        2025, 12, 1
    )
    for case in Case.objects.all():
        assert _in_office_hours(case.created_at), case.created_at
        assert case.created_at <= case.updated_at <= NOW
        if case.resolved_at:
            assert case.created_at < case.resolved_at <= case.updated_at

    # Older cases are mostly done, recent ones mostly still being worked on.
    old = Counter(c.status for c in cases if (TODAY - _local(c.created_at).date()).days > 60)
    assert old[CaseStatus.RESOLVED] + old[CaseStatus.CLOSED] > 0.9 * sum(old.values())
    recent = Counter(c.status for c in cases if (TODAY - _local(c.created_at).date()).days <= 7)
    assert recent[CaseStatus.OPEN] + recent[CaseStatus.WAITING] > 0
    assert Case.objects.filter(assignee__username="support").exists()
    assert Case.objects.filter(channel="support_plus", support_plus=True).exists()
    assert not Case.objects.filter(channel="support_plus", support_plus=False).exists()


def test_cases_only_when_eligible_and_leads_otherwise(year):
    customers = {c.pk: c for c in Customer.objects.all()}
    for case in Case.objects.all():
        day = _local(case.created_at).date()
        status = support_status(customer=customers[case.customer_id], on=day)
        assert status.eligible == (case.kind == CaseKind.CASE), (case, day)
        if case.kind == CaseKind.CASE:
            assert case.support_plus == status.is_registered(case.contact)
    leads = Case.objects.filter(kind=CaseKind.LEAD)
    assert leads.exists()
    assert not TimeEntry.objects.filter(case__in=leads).exists()
    assert not Usage.objects.filter(work_ref__in=[lead.reference for lead in leads]).exists()


def test_the_ledger_is_consistent_with_the_time_entries(year):
    entries = TimeEntry.objects.select_related("case", "usage", "reversal")
    assert year["time_entries"] == entries.count() > year["cases"]
    for entry in entries:
        usage = entry.usage
        assert usage.work_ref == entry.case.reference
        assert usage.customer_id == entry.case.customer_id
        # The ledger charges support answers and data checks of a verified software error
        # as free (R9); the entry keeps what the desk did.
        free = entry.case.verified_bug_at is not None and entry.activity in FREE_ON_VERIFIED_BUG
        assert (usage.activity, usage.logged_minutes, usage.performed_on) == (
            "verified_bug" if free else entry.activity,
            entry.minutes,
            entry.performed_on,
        )
        assert _local(entry.created_at).date() == entry.performed_on  # logged that day
        if entry.reversal is not None:
            assert entry.reversal.reverses_id == usage.pk
    assert year["time_entries_removed"] == entries.filter(reversal__isnull=False).count()

    # R5: per case and activity, the charged minutes are the logged ones rounded up to 5.
    references = {case.reference for case in Case.objects.all()}
    totals = Usage.objects.values("work_ref", "activity").annotate(
        logged=Sum("logged_minutes"), charged=Sum("charged_minutes")
    )
    for row in totals:
        assert row["work_ref"] in references
        assert row["charged"] == -(-row["logged"] // 5) * 5, row
    cases = Case.objects.filter(kind=CaseKind.CASE, time_entries__isnull=False).distinct()
    for case in cases[:60]:
        summary = work_summary(customer=case.customer, work_ref=case.reference)
        logged = sum(e.minutes for e in case.time_entries.all() if e.reversal_id is None)
        assert summary.logged_minutes == logged

    # Credit never below zero, and some of it is used, some of the work is billed.
    for grant in CreditGrant.objects.annotate(used=Sum("draws__minutes")):
        assert 0 <= (grant.used or 0) <= grant.minutes
    for customer in Customer.objects.all():
        for day in (date(2026, 1, 15), date(2026, 6, 15), TODAY):
            assert credit_balance(customer=customer, on=day).remaining >= 0
    assert Usage.objects.filter(credit_minutes__gt=0).exists()
    assert Usage.objects.filter(billable_minutes__gt=0, half_fare=True).exists()
    assert set(Usage.objects.values_list("activity", flat=True)) >= {
        "support",
        "data_check",
        "training",
        "forms",
        "programming",
        "verified_bug",
    }


def test_part_of_the_demo_customers_keep_credit_the_others_are_billed(year):
    """The credit bar and statement must show remaining minutes for some customers (R3,
    R10), and billable work for the others."""
    with_credit, left = set(), set()
    for customer in Customer.objects.all():
        buckets = credit_balance(customer=customer, on=TODAY).buckets
        licence = [b for b in buckets if b.source == "licence" and b.granted]
        if licence:
            with_credit.add(customer.number)
            if any(b.remaining for b in licence):
                left.add(customer.number)
    assert len(with_credit) >= 6
    assert 0.3 <= len(left) / len(with_credit) <= 0.6, (left, with_credit)
    billed = set(
        Usage.objects.filter(billable_minutes__gt=0, performed_on__gte=date(2026, 1, 1))
        .values_list("customer__number", flat=True)
        .distinct()
    )
    assert with_credit - left <= billed


def test_callbacks_are_consistent_with_their_windows(year):
    outcomes = Counter()
    callbacks = Callback.objects.select_related("case").prefetch_related("windows", "attempts")
    for callback in callbacks:
        windows = sorted((w.starts_at, w.ends_at) for w in callback.windows.all())
        attempts = [a.at for a in callback.attempts.all()]
        assert 1 <= len(windows) <= 5
        assert (callback.first_window_start, callback.first_window_end) == windows[0]
        assert callback.last_window_end == max(end for _, end in windows)
        assert callback.created_at < callback.first_window_start
        assert callback.case.created_at <= callback.created_at
        assert all(_in_office_hours(s) and _in_office_hours(e) for s, e in windows)
        assert callback.support_plus == callback.case.support_plus
        assert callback.first_attempt_at == (min(attempts) if attempts else None)
        assert all(at <= NOW for at in attempts)
        if callback.status == CallbackStatus.DONE:
            reached = [a.at for a in callback.attempts.all() if a.outcome == "reached"]
            assert callback.closed_at == reached[-1] == max(attempts)
            assert callback.closed_at >= callback.first_attempt_at
            first = callback.closed_at <= callback.first_window_end
            outcomes["reached in the first window" if first else "reached later"] += 1
        elif callback.status == CallbackStatus.OPEN:
            assert callback.closed_at is None
            outcomes["missed" if callback.last_window_end < NOW else "waiting"] += 1
        else:
            assert callback.closed_at is not None and not attempts
            outcomes["cancelled"] += 1
    assert outcomes["reached in the first window"] > 0.6 * sum(outcomes.values()), outcomes
    assert outcomes["reached later"] and outcomes["missed"], outcomes


def test_complete_months_are_invoiced_in_date_order_without_pdf_jobs(year):
    invoices = list(Invoice.objects.order_by("number"))
    assert year["invoices"] == len(invoices) > 50
    assert not Invoice.objects.exclude(status=InvoiceStatus.ISSUED).exists()  # no draft left
    by_year = defaultdict(list)
    for invoice in invoices:
        by_year[invoice.number[:4]].append(invoice)
    for year_, numbers in by_year.items():
        assert [i.number for i in numbers] == [
            f"{year_}-{n:05d}" for n in range(1, len(numbers) + 1)
        ]
        assert [i.issued_on for i in numbers] == sorted(i.issued_on for i in numbers)
    assert {i.period_start for i in invoices} == {
        date(2025, 12, 1),
        *(date(2026, m, 1) for m in range(1, 10)),
    }
    assert max(i.issued_on for i in invoices) == date(2026, 10, 1)
    # No PDF rendering queued for the worker: they are rendered on their first download.
    assert not transaction.get_connection().run_on_commit
    # Everything billable up to September is invoiced; October and November wait for billing.
    billable = Usage.objects.exclude(billable_minutes=0)
    assert not billable.filter(performed_on__lt=date(2026, 10, 1), invoiced_at__isnull=True)
    assert billable.filter(performed_on__gte=date(2026, 10, 1), invoiced_at__isnull=True).exists()
    assert not billable.filter(performed_on__gte=date(2026, 10, 1), invoiced_at__isnull=False)


def test_a_second_run_adds_nothing(year):
    models = (Case, TimeEntry, Usage, Callback, Invoice)
    before = [m.objects.count() for m in models]
    with time_machine.travel(NOW, tick=False):
        again = demo_activity.seed_activity(today=TODAY)
    # Customers without a case are played again (a quiet one may have had none): they get
    # the same (empty) activity, so nothing is added.
    assert again["customers"] == Customer.objects.exclude(cases__isnull=False).count()
    assert not any(n for name, n in again.items() if name != "customers"), again
    assert [m.objects.count() for m in models] == before


def test_the_benchmark_answers_every_page_on_a_year_of_data(year):
    """The benchmark script measures real answers: every page 200, a bounded query count."""
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "bench_pages.py"
    spec = importlib.util.spec_from_file_location("bench_pages", path)
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench_pages"] = bench  # its dataclasses look their module up
    try:
        spec.loader.exec_module(bench)
    finally:
        del sys.modules["bench_pages"]
    with time_machine.travel(NOW, tick=False):
        by_role = bench.clients()
        results = [bench.measure(page, by_role[page.role], runs=2) for page in bench.pages()]
    assert [r.page.key for r in results] == list(bench.PAGES)  # every page measured
    # A lookup that finds one customer answers with the customer page (302): expected.
    assert all(r.ok for r in results), bench.table(results)
    assert all(0 < r.median_ms <= r.p95_ms for r in results)
    dashboard = [r.queries for r in results if r.page.url.startswith("/dashboard/")]
    assert len(set(dashboard)) == 1  # the same queries for a month, last month and the year
    assert "| dashboard `/dashboard/` | manager |" in bench.table(results)
    assert bench.percentile([5.0, 1.0, 3.0, 2.0, 4.0], 0.95) == 5.0
    assert bench.percentile([5.0, 1.0, 3.0, 2.0, 4.0], 0.5) == 3.0
