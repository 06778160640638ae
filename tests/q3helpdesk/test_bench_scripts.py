"""The benchmark scripts (scripts/bench_*.py) work: on a small demo world, without timing.

They are scripts, not a package: imported from their folder as the scripts import each
other. Nothing here asserts a time; what is checked is what a reader of the figures relies
on: every page is measured with the rows it works on, ``--only`` and ``--json`` do what
they say, the posting bench refuses real data and adds what it reports, the invoice bench
leaves the database as it was, the import bench loads a file the import accepts whole and
refuses a database that holds customers.
"""

import json
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from billing.models import Invoice, InvoiceLine, InvoiceNumberSequence, Usage
from billing.services import grants_sync_all
from cases.models import Case, CaseKind, TimeEntry
from cases.services import case_create
from customers.selectors import support_status
from customers.services import customer_create
from q3helpdesk.demo import activity as demo_activity
from q3helpdesk.demo import seeding

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))

import bench_import  # noqa: E402
import bench_invoices  # noqa: E402
import bench_pages  # noqa: E402
import bench_posting  # noqa: E402
import benchlib  # noqa: E402

pytestmark = pytest.mark.django_db

ZURICH = ZoneInfo("Europe/Zurich")
NOW = datetime(2026, 11, 26, 15, 30, tzinfo=ZURICH)
TODAY = NOW.date()
GENERATED = 30


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The demo customers and 30 generated ones with their year (October not invoiced),
    and an open case for each generated customer that may get support today; rolled back."""
    with django_db_blocker.unblock(), time_machine.travel(NOW, tick=False):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            seeding.seed_users()
            seeding.seed_company()
            seeding.seed_customers(TODAY)
            seeding.seed_scale(GENERATED, TODAY)
            grants_sync_all()
            demo_activity.seed_activity(today=TODAY, scale=GENERATED)
            for customer in benchlib.generated_customers():
                if support_status(customer=customer, on=TODAY).eligible:
                    case_create(customer=customer, channel="phone", subject="Clôture annuelle")
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def at_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def bench_settings(settings):
    """What the scripts change in the settings, set through the fixture so it is undone."""
    settings.DEBUG = False
    settings.REQUIRE_2FA = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    return settings


def _real_customer():
    return customer_create(name="Garage Real AG", postcode="3000", city="Bern")


# --- shared ---------------------------------------------------------------------------------


def test_tables_right_align_the_figures():
    table = benchlib.markdown_table(
        ["page", "median ms", "postings/s", "done count"], [[1, 2, 3, 4]]
    )
    assert table.splitlines()[1] == "|---|---:|---:|---:|"


def test_percentile_is_the_nearest_rank():
    assert benchlib.percentile([5.0, 1.0, 3.0, 2.0, 4.0], 0.95) == 5.0
    assert benchlib.percentile([5.0, 1.0, 3.0, 2.0, 4.0], 0.5) == 3.0
    assert benchlib.percentile([float(n) for n in range(1, 21)], 0.95) == 19.0
    assert benchlib.spread([]) == {"median_ms": None, "p95_ms": None, "max_ms": None}
    assert benchlib.spread([1.0, 9.0, 2.0]) == {"median_ms": 2.0, "p95_ms": 9.0, "max_ms": 9.0}


def test_the_environment_names_the_database_and_counts_rows(world):
    env = benchlib.environment()
    text = benchlib.environment_text(env, "how")
    assert text.startswith(f"Database: {env['database']} ")
    assert env["rows"]["generated customers"] == GENERATED
    assert f"{TimeEntry.objects.count()} time entries" in text


# --- pages ----------------------------------------------------------------------------------


def test_every_page_is_listed_with_the_rows_it_works_on(world, at_now):
    pages = {page.key: page for page in bench_pages.pages()}
    assert list(pages) == list(bench_pages.PAGES)
    assert {
        "lookup-email",
        "lookup-phone",
        "lookup-call",
        "customers",
        "cases-search",
        "inbox",
        "callback-list",
        "grants",
        "dashboard",
        "ledger",
    } <= set(pages)
    assert all(page.url and page.rows for page in pages.values()), pages
    assert pages["customers"].url == "/customers/"
    assert pages["inbox"].url == "/inbox/"
    assert pages["callback-list"].url == "/callbacks/all/"
    assert pages["grants"].url == "/billing/grants/"
    # The caller's number as a desk types it, national and in groups: "079 123 45 67".
    phone = pages["lookup-phone"].rows.split("“")[1].split("”")[0]
    assert phone.startswith("0") and phone.replace(" ", "").isdigit() and " " in phone
    assert "%40" in pages["lookup-email"].url
    assert "?phone=%2B41" in pages["lookup-call"].url
    assert " cases match “" in pages["cases-search"].rows


def test_the_lookups_find_the_caller_and_every_page_answers(world, bench_settings, at_now):
    pages = bench_pages.pages()
    by_role = bench_pages.clients({page.role for page in pages})
    results = [bench_pages.measure(page, by_role[page.role], runs=1) for page in pages]
    bad = [r for r in results if not r.ok]
    assert not bad, bench_pages.table(results)
    # A generated customer's contact: one customer, so the lookup goes to its page.
    lookups = [r for r in results if r.page.key in ("lookup-email", "lookup-phone", "lookup-call")]
    assert {r.status for r in lookups} == {"302 Found"}
    assert all(r.queries for r in results)


def test_only_times_the_pages_asked_and_writes_json(world, bench_settings, at_now, tmp_path):
    out = tmp_path / "pages.json"
    bench_pages.main(["--runs", "2", "--only", "grants,inbox", "--json", str(out)])
    data = json.loads(out.read_text())
    assert [r["key"] for r in data["results"]] == ["inbox", "grants"]  # in table order
    assert all(r["ok"] and r["median_ms"] <= r["p95_ms"] for r in data["results"])
    assert data["environment"]["rows"]["generated customers"] == GENERATED


def test_an_unknown_page_key_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_:
        bench_pages.main(["--only", "home,nowhere"])
    assert exit_.value.code == 2
    assert "inbox" in capsys.readouterr().err  # the keys are listed


# --- posting --------------------------------------------------------------------------------


def test_posting_adds_what_it_reports_on_open_cases_of_generated_customers(world, at_now):
    entries_before = set(TimeEntry.objects.values_list("pk", flat=True))
    report = bench_posting.run(postings=6, processes=1)
    assert report.single.postings == 6, report.single.messages
    assert report.parallel == []
    added = TimeEntry.objects.exclude(pk__in=entries_before).select_related("case__customer")
    assert report.added["time entries"] == len(added) == 6
    assert report.added["usages"] == 6
    for entry in added:
        assert entry.performed_on == TODAY
        assert entry.case.kind == CaseKind.CASE
        assert int(entry.case.customer.number) > seeding.GENERATED_NUMBER_BASE
    assert "6 time entries, 6 usages" in bench_posting.tables(report)


def test_posting_refuses_a_database_with_real_customers(world, at_now):
    _real_customer()
    before = TimeEntry.objects.count()
    with pytest.raises(benchlib.NotDemoData, match="1 customers that are not demo data"):
        bench_posting.run(postings=3, processes=1)
    assert TimeEntry.objects.count() == before


def test_posting_needs_the_write_flag(world):
    before = TimeEntry.objects.count()
    with pytest.raises(SystemExit) as exit_:
        bench_posting.main(["--postings", "1"])
    assert exit_.value.code == 2
    assert TimeEntry.objects.count() == before


def test_the_processes_post_for_customers_they_do_not_share():
    by_customer = {pk: [pk * 10, pk * 10 + 1] for pk in range(1, 12)}
    groups = bench_posting.split(by_customer, 4)
    assert len(groups) == 4
    customers = [pk for group in groups for pk in group]
    assert sorted(customers) == sorted(by_customer)  # each customer in exactly one group
    assert all(len(group) in (2, 3) for group in groups)


def test_activities_and_minutes_are_the_desks(at_now):
    import random

    rng = random.Random(1)
    drawn = [bench_posting.realistic_entry(rng) for _ in range(300)]
    activities = {a for a, _ in drawn}
    assert "support" in activities and activities <= {
        "support",
        "data_check",
        "forms",
        "training",
        "programming",
    }
    assert all(3 <= minutes <= 240 for _, minutes in drawn)


# --- invoices -------------------------------------------------------------------------------


def _invoice_state():
    return (
        Invoice.objects.count(),
        InvoiceLine.objects.count(),
        Usage.objects.filter(invoiced_at__isnull=False).count(),
        sorted(InvoiceNumberSequence.objects.values_list("year", "last")),
    )


def test_the_invoice_run_is_measured_and_rolled_back(world, at_now):
    before = _invoice_state()
    assert bench_invoices.month_bounds(None) == (date(2026, 10, 1), date(2026, 10, 31))
    report = bench_invoices.run(pdf_limit=1)
    drafts, issued, pdfs = report.steps
    assert drafts.count > 0
    assert issued.count == drafts.count, issued.refused
    assert pdfs.count == 1 and pdfs.what.endswith(" pages")
    assert report.warm is not None and report.warm.pages >= 1 and report.warm.lines >= 1
    assert report.unchanged
    assert _invoice_state() == before
    assert not Invoice.objects.filter(status="draft").exists()
    assert "Rolled back: the database is as before" in bench_invoices.tables(report)


def test_the_invoice_run_refuses_a_database_with_real_customers(world, at_now):
    _real_customer()
    before = _invoice_state()
    with pytest.raises(benchlib.NotDemoData):
        bench_invoices.run(pdf_limit=0)
    assert _invoice_state() == before


def test_a_month_is_given_as_year_and_month():
    assert bench_invoices.month_bounds("2028-02") == (date(2028, 2, 1), date(2028, 2, 29))
    with pytest.raises(ValueError, match="2026-13"):
        bench_invoices.month_bounds("2026-13")


def test_the_posting_bench_finds_eligible_customers_with_open_cases(world, at_now):
    """Four processes need four customers; a customer without support today is left out."""
    by_customer = bench_posting.open_cases_by_customer()
    assert len(by_customer) >= 4
    cases = Case.objects.filter(pk__in=[pk for ids in by_customer.values() for pk in ids])
    for case in cases.select_related("customer"):
        assert support_status(customer=case.customer, on=TODAY).eligible


def test_the_import_bench_loads_its_whole_file_and_the_same_file_again(capsys):
    rows = bench_import.erp_file(12).decode("windows-1252").count("\r\n") - 1  # no header
    bench_import.main(["--write", "--customers", "12"])
    out = capsys.readouterr().out
    assert f"| dry run | {rows} |" in out and f"| import | {rows} |" in out
    assert f"new {rows} |" in out and "refused" not in out
    assert f"| the same file again | {rows} |" in out and f"unchanged {rows} |" in out
    with pytest.raises(SystemExit, match="not demo data"):
        bench_import.main(["--write", "--customers", "1"])  # its own customers are real ones


def test_the_import_bench_needs_the_write_flag():
    with pytest.raises(SystemExit):
        bench_import.main(["--customers", "1"])
