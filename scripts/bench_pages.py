#!/usr/bin/env python
"""Server time of the dashboard and the main desk pages, on the configured database.

    .venv/bin/python scripts/bench_pages.py [--runs 20]

Meant for the demo data at scale (``manage.py seed_demo --scale 10000``, a year of
activity). The database comes from ``DATABASE_URL`` / ``.env`` exactly as for
``manage.py``; nothing is written but the demo users' sessions. Each page is requested
in-process with Django's test client (no network, no browser): warmed up twice, its SQL
queries counted once, then timed ``--runs`` times. Prints a Markdown table with the
median and the 95th percentile (nearest rank) of the server time per page; a page that
does not answer 200 (not there yet, no permission, an error) shows its status instead of
stopping the run. Runs with DEBUG off, as in production, unless ``--debug`` is given.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "q3helpdesk.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.db.models.functions import Length  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from billing.models import Invoice, Usage  # noqa: E402
from cases.models import ACTIVE_STATUSES, Callback, CallbackStatus, Case, TimeEntry  # noqa: E402
from customers.models import Customer, search_key  # noqa: E402
from customers.selectors import LOOKUP_MAX as MAX_MATCHES  # noqa: E402
from q3helpdesk.demo import data as demo_data  # noqa: E402

ROLES = ("infoline", "support", "billing", "manager")


@dataclass
class Page:
    name: str
    url: str | None  # None: no such row in the database (the reason is in ``rows``)
    role: str
    rows: str  # the rows of the database that this page works on


@dataclass
class Result:
    page: Page
    status: str
    median_ms: float | None = None
    p95_ms: float | None = None
    queries: int | None = None


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest value with ``fraction`` of the values at or below."""
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]


def common_last_name() -> tuple[str, int]:
    """The demo last name shared by the most customers (the lookup's worst common case)."""
    names = sorted(set(demo_data.LAST_NAMES_FR + demo_data.LAST_NAMES_DE))
    counts = {
        name: Customer.objects.filter(name_key__contains=search_key(name)).count() for name in names
    }
    name = max(names, key=lambda n: (counts[n], n))
    return name, counts[name]


def pages() -> list[Page]:
    today = timezone.localdate()
    name, matches = common_last_name()
    generated = Customer.objects.annotate(digits=Length("number")).filter(digits__gte=6)
    busiest = (
        (generated if generated.exists() else Customer.objects.all())
        .annotate(n=Count("cases"))
        .order_by("-n", "number")
        .values_list("number", "n")
        .first()
    )
    case = (
        Case.objects.annotate(n=Count("time_entries"))
        .order_by("-n", "-pk")
        .values_list("pk", "n")
        .first()
    )
    cases = Case.objects.count()
    usages = Usage.objects.count()
    open_cases = Case.objects.filter(status__in=ACTIVE_STATUSES).count()
    open_only = Case.objects.filter(status="open").count()
    callbacks_open = Callback.objects.filter(status=CallbackStatus.OPEN).count()
    invoices = Invoice.objects.count()
    this_month = today.replace(day=1)
    dashboard_rows = f"{cases} cases and leads, {usages} usages, {invoices} invoices"
    return [
        Page(
            "home",
            "/",
            "infoline",
            f"{Customer.objects.count()} customers, {open_cases} active cases",
        ),
        Page(
            "lookup by name",
            f"/lookup/?{urlencode({'q': name})}",
            "infoline",
            f"{matches} customers match “{name}” (the page lists {MAX_MATCHES})",
        ),
        Page(
            "customer page",
            f"/customers/{busiest[0]}/" if busiest else None,
            "infoline",
            f"customer {busiest[0]}: {busiest[1]} cases" if busiest else "no customer",
        ),
        Page("case list", "/cases/", "support", f"{cases} cases and leads"),
        Page("case list, open", "/cases/?status=open", "support", f"{open_only} open cases"),
        Page(
            "case page",
            f"/cases/{case[0]}/" if case else None,
            "support",
            f"case C-{case[0]}: {case[1]} time entries" if case else "no case",
        ),
        Page("callback queue", "/callbacks/", "support", f"{callbacks_open} open callbacks"),
        Page("invoice list", "/billing/invoices/", "billing", f"{invoices} invoices"),
        Page("ledger", "/billing/ledger/", "billing", f"{usages} usages"),
        Page(
            "dashboard", "/dashboard/", "manager", f"{dashboard_rows} (since {this_month:%d.%m.%Y})"
        ),
        Page("dashboard, last month", "/dashboard/?period=last_month", "manager", dashboard_rows),
        Page("dashboard, year", "/dashboard/?period=year", "manager", dashboard_rows),
    ]


def clients() -> dict[str, Client]:
    found = {u.username: u for u in get_user_model().objects.filter(username__in=ROLES)}
    missing = [r for r in ROLES if r not in found]
    if missing:
        sys.exit(f"Demo users missing ({', '.join(missing)}): run `manage.py seed_demo` first.")
    result = {}
    for role in ROLES:
        # Answers, errors included, come back as responses: a 500 is a row, not a crash.
        client = Client(raise_request_exception=False, HTTP_HOST=allowed_host())
        client.force_login(found[role])
        result[role] = client
    return result


def allowed_host() -> str:
    """A host name the settings accept (the test client's "testserver" may not be one)."""
    hosts = [h for h in settings.ALLOWED_HOSTS if h and "*" not in h and not h.startswith(".")]
    if "testserver" in settings.ALLOWED_HOSTS or "*" in settings.ALLOWED_HOSTS or not hosts:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        return "testserver"
    return hosts[0]


def status_text(code: int) -> str:
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return str(code)


def measure(page: Page, client: Client, runs: int) -> Result:
    if page.url is None:
        return Result(page, "skipped: no data")

    def get():
        # secure=True: with DEBUG off, the production settings redirect plain HTTP.
        return client.get(page.url, secure=True)

    try:
        for _ in range(2):
            get()
        with CaptureQueriesContext(connection) as captured:
            response = get()
        queries = len(captured)  # now: the next request clears the connection's query log
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            get()
            times.append((time.perf_counter() - started) * 1000)
    except Exception as exc:  # the client raises what the view cannot turn into a response
        return Result(page, f"error: {type(exc).__name__}: {exc}"[:80])
    return Result(
        page,
        status_text(response.status_code),
        median_ms=statistics.median(times),
        p95_ms=percentile(times, 0.95),
        queries=queries,
    )


def table(results: list[Result]) -> str:
    lines = [
        "| page | role | rows that matter | median ms | p95 ms | queries | status |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    for r in results:
        median = f"{r.median_ms:.1f}" if r.median_ms is not None else "–"
        p95 = f"{r.p95_ms:.1f}" if r.p95_ms is not None else "–"
        queries = str(r.queries) if r.queries is not None else "–"
        status = r.status if r.status == "200 OK" else f"**{r.status}**"
        url = f" `{r.page.url}`" if r.page.url else ""
        lines.append(
            f"| {r.page.name}{url} | {r.page.role} | {r.page.rows} | {median} | {p95} "
            f"| {queries} | {status} |"
        )
    return "\n".join(lines)


def database_version() -> str:
    if connection.vendor == "sqlite":
        return connection.Database.sqlite_version
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0]
    return ""


def database_summary() -> str:
    db = connection.settings_dict
    name = db["NAME"] if connection.vendor == "sqlite" else f"{db.get('HOST')}/{db['NAME']}"
    version = database_version()
    counts = {
        "customers": Customer.objects.count(),
        "cases": Case.objects.filter(kind="case").count(),
        "leads": Case.objects.filter(kind="lead").count(),
        "time entries": TimeEntry.objects.count(),
        "usages": Usage.objects.count(),
        "callbacks": Callback.objects.count(),
        "invoices": Invoice.objects.filter(~Q(status="draft")).count(),
    }
    rows = ", ".join(f"{n} {label}" for label, n in counts.items())
    return f"Database: {connection.vendor} {version} ({name})\nRows: {rows}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="timed requests per page (20)")
    parser.add_argument("--debug", action="store_true", help="keep DEBUG as configured")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be 1 or more")
    if not args.debug:
        settings.DEBUG = False  # no query log, no template debugging: as in production
    # force_login carries no second factor: time the pages, not the code page's redirect.
    settings.REQUIRE_2FA = False
    # A 403 or 404 is a row of the table, not a warning with its traceback (errors still log).
    logging.getLogger("django.request").setLevel(logging.ERROR)
    print(database_summary())
    print(
        f"{timezone.localtime():%Y-%m-%d %H:%M %Z}, Python {platform.python_version()}, "
        f"Django {django.get_version()}, DEBUG {'on' if settings.DEBUG else 'off'}, "
        f"{args.runs} timed requests per page after 2 warm-ups, in-process test client"
    )
    print()
    by_role = clients()
    results = []
    for page in pages():
        results.append(measure(page, by_role[page.role], args.runs))
        print(f"  {page.name}: {results[-1].status}", file=sys.stderr)
    print(table(results))


if __name__ == "__main__":
    main()
