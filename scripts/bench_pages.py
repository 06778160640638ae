#!/usr/bin/env python
"""Server time of the dashboard and the desk's pages, on the configured database.

    .venv/bin/python scripts/bench_pages.py [--runs 20] [--only KEY[,KEY]] [--json FILE]

Meant for the demo data at scale (``manage.py seed_demo --scale 10000``, a year of
activity). The database comes from ``DATABASE_URL`` / ``.env`` exactly as for
``manage.py``; nothing is written but the demo users' sessions (and, for the API's rows,
an API client deleted at the end). Each page is requested in-process with Django's test
client (no network, no browser): warmed up twice, its SQL
queries counted once, then timed ``--runs`` times. Prints a Markdown table with the
median and the 95th percentile (nearest rank) of the server time per page and the rows
the page works on; a page that does not answer as expected (not there yet, no
permission, an error) shows its status in bold instead of stopping the run. A lookup
that finds exactly one customer answers with a redirect to the customer page: that is
its expected answer, and the time is the lookup's alone. Runs with DEBUG off, as in
production, unless ``--debug`` is given. ``--list`` shows the page keys for ``--only``.

The posting throughput and the month-end invoice run are measured by
``bench_posting.py`` and ``bench_invoices.py`` (they write, so they are separate).
"""

from __future__ import annotations

import argparse
import gc
import logging
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlencode

try:
    import benchlib  # sets Django up: before any import of the project
except ModuleNotFoundError:  # imported from elsewhere (the tests): it sits next to this file
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import benchlib

import phonenumbers
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import CreditGrant, Invoice, Usage
from cases.models import ACTIVE_STATUSES, Callback, CallbackStatus, Case, CaseKind
from cases.selectors import case_search, inbox_waiting_count
from customers.models import Contact, Customer, search_key
from customers.selectors import LOOKUP_MAX as MAX_MATCHES
from customers.selectors import customer_lookup
from q3helpdesk.demo import data as demo_data

ROLES = ("infoline", "support", "billing", "manager")
API = "api"  # not a role: a system with a token (a client made for the run, then deleted)
percentile = benchlib.percentile  # where callers of this script found it before
SEARCH_SAMPLE = 5000  # case subjects read to find the word of the text search
SEARCH_WORD = re.compile(r"[^\W\d_]{6,}")


@dataclass
class Page:
    key: str  # short name for --only
    name: str
    url: str | None  # None: no such row in the database (the reason is in ``rows``)
    role: str
    rows: str  # the rows of the database that this page works on
    expect: int = 200  # the answer that is no problem (a lookup with one hit redirects)


@dataclass
class Result:
    page: Page
    status: str
    ok: bool = False
    median_ms: float | None = None
    p95_ms: float | None = None
    queries: int | None = None


# --- the rows each page is about ------------------------------------------------------------


def common_last_name() -> tuple[str, int]:
    """The demo last name shared by the most customers (the lookup's worst common case)."""
    names = sorted(set(demo_data.LAST_NAMES_FR + demo_data.LAST_NAMES_DE))
    counts = {
        name: Customer.objects.filter(name_key__contains=search_key(name)).count() for name in names
    }
    name = max(names, key=lambda n: (counts[n], n))
    return name, counts[name]


def busiest_customer() -> tuple[str, int] | None:
    """The (generated, if any) customer with the most cases: number and case count."""
    generated = benchlib.generated_customers()
    return (
        (generated if generated.exists() else Customer.objects.all())
        .annotate(n=Count("cases"))
        .order_by("-n", "number")
        .values_list("number", "n")
        .first()
    )


def caller_contact() -> Contact | None:
    """A contact as a caller gives it: of a generated customer if any, one with a mobile
    number if any (the most common caller), the same one on every run."""
    contacts = Contact.objects.exclude(email="").exclude(phone="").select_related("customer")
    generated = contacts.filter(customer__in=benchlib.generated_customers())
    contacts = generated if generated.exists() else contacts
    mobile = contacts.filter(phone__startswith="+417")
    return (mobile if mobile.exists() else contacts).order_by("customer__number", "pk").first()


def lookup_rows(q: str, what: str) -> tuple[str, int]:
    """What the lookup finds for ``q`` (run once, outside the timing) and the answer due."""
    result = customer_lookup(q=q)
    if result.single_hit is not None:
        return f"{what}: 1 customer ({result.kind}) → redirect to its page", 302
    shown = benchlib.plural(len(result.hits), "customer")
    if result.more:
        shown = f"more than {MAX_MATCHES} customers, the page lists {MAX_MATCHES}"
    return f"{what}: {shown} ({result.kind})", 200


def frequent_search_word() -> tuple[str, int]:
    """A word of six letters or more that stands in the subjects of many cases (the most
    frequent one among the newest cases), and how many cases the text search finds."""
    subjects = Case.objects.order_by("-pk").values_list("subject", flat=True)[:SEARCH_SAMPLE]
    counts: Counter[str] = Counter()
    for subject in subjects:
        counts.update({w.casefold() for w in SEARCH_WORD.findall(subject)})
    if not counts:
        return "", 0
    word = min(counts, key=lambda w: (-counts[w], w))
    return word, case_search(Case.objects.all(), q=word).count()


# --- the pages ------------------------------------------------------------------------------


def _home() -> Page:
    open_cases = Case.objects.filter(status__in=ACTIVE_STATUSES).count()
    rows = f"{Customer.objects.count()} customers, {open_cases} active cases"
    return Page("home", "home", "/", "infoline", rows)


def _lookup_name() -> Page:
    name, matches = common_last_name()
    rows, expect = lookup_rows(
        name, f"“{name}”, in the names of {benchlib.plural(matches, 'customer')}"
    )
    url = f"/lookup/?{urlencode({'q': name})}"
    return Page("lookup-name", "lookup by name", url, "infoline", rows, expect)


def _lookup_email() -> Page:
    contact = caller_contact()
    if contact is None:
        return Page("lookup-email", "lookup by e-mail", None, "infoline", "no contact")
    rows, expect = lookup_rows(contact.email, f"contact e-mail {contact.email}")
    url = f"/lookup/?{urlencode({'q': contact.email})}"
    return Page("lookup-email", "lookup by e-mail", url, "infoline", rows, expect)


def _typed_phone() -> str | None:
    """The caller contact's number as a desk types it: national, in groups ("079 123 45 67")."""
    contact = caller_contact()
    if contact is None or not contact.phone:
        return None
    parsed = phonenumbers.parse(str(contact.phone), "CH")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


def _lookup_phone() -> Page:
    typed = _typed_phone()
    if typed is None:
        return Page("lookup-phone", "lookup by phone", None, "infoline", "no contact with a phone")
    rows, expect = lookup_rows(typed, f"phone typed “{typed}”")
    url = f"/lookup/?{urlencode({'q': typed})}"
    return Page("lookup-phone", "lookup by phone", url, "infoline", rows, expect)


def _lookup_phone_call() -> Page:
    contact = caller_contact()
    if contact is None or not contact.phone:
        name = "lookup by phone, telephone system"
        return Page("lookup-call", name, None, "infoline", "no contact with a phone")
    e164 = phonenumbers.format_number(
        phonenumbers.parse(str(contact.phone), "CH"), phonenumbers.PhoneNumberFormat.E164
    )
    rows, expect = lookup_rows(e164, f"incoming call from {e164}")
    url = f"/lookup/?{urlencode({'phone': e164})}"
    return Page("lookup-call", "lookup by phone, telephone system", url, "infoline", rows, expect)


def _api_caller() -> Page:
    """The telephone system's call: the same number as ``lookup-call``, through the API."""
    contact = caller_contact()
    name = "caller lookup, API (telephone system)"
    if contact is None or not contact.phone:
        return Page("api-caller", name, None, API, "no contact with a phone")
    e164 = phonenumbers.format_number(
        phonenumbers.parse(str(contact.phone), "CH"), phonenumbers.PhoneNumberFormat.E164
    )
    found = benchlib.plural(len(customer_lookup(q=e164).hits), "customer")
    rows = f"incoming call from {e164}: {found} with status, credit and priority"
    return Page("api-caller", name, f"/api/v1/caller/?{urlencode({'phone': e164})}", API, rows)


def _api_customers() -> Page:
    rows = f"{Customer.objects.count()} customers, the first 100 with status and credit"
    return Page("api-customers", "customers, API", "/api/v1/customers/", API, rows)


def _customer_list() -> Page:
    rows = f"{Customer.objects.count()} customers, with their support status today"
    return Page("customers", "customer list", "/customers/", "infoline", rows)


def _customer_page() -> Page:
    busiest = busiest_customer()
    if busiest is None:
        return Page("customer", "customer page", None, "infoline", "no customer")
    number, cases = busiest
    return Page(
        "customer",
        "customer page",
        f"/customers/{number}/",
        "infoline",
        f"customer {number}: {cases} cases",
    )


def _case_list() -> Page:
    return Page(
        "cases", "case list", "/cases/", "support", f"{Case.objects.count()} cases and leads"
    )


def _case_list_open() -> Page:
    rows = f"{Case.objects.filter(status='open').count()} open cases"
    return Page("cases-open", "case list, open", "/cases/?status=open", "support", rows)


def _case_search() -> Page:
    word, matches = frequent_search_word()
    if not word:
        return Page("cases-search", "case text search", None, "support", "no case subjects")
    engine = "full-text search" if connection.vendor == "postgresql" else "LIKE on each column"
    rows = f"{matches} of {Case.objects.count()} cases match “{word}” ({engine})"
    url = f"/cases/?{urlencode({'q': word})}"
    return Page("cases-search", "case text search", url, "support", rows)


def _case_page() -> Page:
    case = (
        Case.objects.filter(kind=CaseKind.CASE)
        .annotate(n=Count("time_entries"))
        .order_by("-n", "-pk")
        .values_list("pk", "n")
        .first()
    )
    if case is None:
        return Page("case", "case page", None, "support", "no case")
    rows = f"case C-{case[0]}: {case[1]} time entries"
    return Page("case", "case page", f"/cases/{case[0]}/", "support", rows)


def _inbox() -> Page:
    rows = f"{benchlib.plural(inbox_waiting_count(), 'message')} waiting (a page lists 50)"
    return Page("inbox", "support inbox", "/inbox/", "infoline", rows)


def _callback_queue() -> Page:
    waiting = Callback.objects.filter(status=CallbackStatus.OPEN).count()
    return Page(
        "callbacks", "callback queue", "/callbacks/", "support", f"{waiting} open callbacks"
    )


def _callback_list() -> Page:
    rows = f"{Callback.objects.count()} callbacks"
    return Page("callback-list", "callback list", "/callbacks/all/", "support", rows)


def _invoice_list() -> Page:
    rows = f"{Invoice.objects.count()} invoices"
    return Page("invoices", "invoice list", "/billing/invoices/", "billing", rows)


def _ledger() -> Page:
    return Page(
        "ledger", "ledger", "/billing/ledger/", "billing", f"{Usage.objects.count()} usages"
    )


def _grants() -> Page:
    rows = f"{CreditGrant.objects.count()} credit grants"
    return Page("grants", "credit grants", "/billing/grants/", "billing", rows)


def _dashboard_rows() -> str:
    return (
        f"{Case.objects.count()} cases and leads, {Usage.objects.count()} usages, "
        f"{Invoice.objects.count()} invoices"
    )


def _dashboard() -> Page:
    since = timezone.localdate().replace(day=1)
    rows = f"{_dashboard_rows()} (since {since:%d.%m.%Y})"
    return Page("dashboard", "dashboard", "/dashboard/", "manager", rows)


def _dashboard_last_month() -> Page:
    url = "/dashboard/?period=last_month"
    return Page("dashboard-month", "dashboard, last month", url, "manager", _dashboard_rows())


def _dashboard_year() -> Page:
    url = "/dashboard/?period=year"
    return Page("dashboard-year", "dashboard, year", url, "manager", _dashboard_rows())


# In table order; each builder reads the rows its page is about (only for pages measured).
PAGES: dict[str, Callable[[], Page]] = {
    "home": _home,
    "lookup-name": _lookup_name,
    "lookup-email": _lookup_email,
    "lookup-phone": _lookup_phone,
    "lookup-call": _lookup_phone_call,
    "api-caller": _api_caller,
    "api-customers": _api_customers,
    "customers": _customer_list,
    "customer": _customer_page,
    "cases": _case_list,
    "cases-open": _case_list_open,
    "cases-search": _case_search,
    "case": _case_page,
    "inbox": _inbox,
    "callbacks": _callback_queue,
    "callback-list": _callback_list,
    "invoices": _invoice_list,
    "ledger": _ledger,
    "grants": _grants,
    "dashboard": _dashboard,
    "dashboard-month": _dashboard_last_month,
    "dashboard-year": _dashboard_year,
}


def pages(only: list[str] | None = None) -> list[Page]:
    """The pages to time (all, or the keys in ``only``), with the rows each works on."""
    keys = only or list(PAGES)
    unknown = [k for k in keys if k not in PAGES]
    if unknown:
        raise ValueError(f"unknown page {', '.join(unknown)}; known: {', '.join(PAGES)}")
    return [PAGES[key]() for key in PAGES if key in keys]


# --- requesting -----------------------------------------------------------------------------


_API_CLIENTS: list[int] = []  # made for this run: removed by remove_api_clients()


def api_client() -> Client:
    """A test client sending the token of a new API client with every scope."""
    from q3helpdesk.api.models import Scope
    from q3helpdesk.api.services import api_client_create

    made, token = api_client_create(name=f"bench {time.time_ns()}", scopes=list(Scope.values))
    _API_CLIENTS.append(made.pk)
    return Client(
        raise_request_exception=False,
        HTTP_HOST=allowed_host(),
        headers={"Authorization": f"Bearer {token}"},
    )


def remove_api_clients() -> None:
    from q3helpdesk.api.models import ApiClient

    ApiClient.objects.filter(pk__in=_API_CLIENTS).delete()
    _API_CLIENTS.clear()


def clients(roles: set[str] | None = None) -> dict[str, Client]:
    """A logged-in client per role (and the API's, for ``API``); all of them by default."""
    wanted = sorted(roles - {API}) if roles else list(ROLES)
    found = {u.username: u for u in get_user_model().objects.filter(username__in=wanted)}
    missing = [r for r in wanted if r not in found]
    if missing:
        sys.exit(f"Demo users missing ({', '.join(missing)}): run `manage.py seed_demo` first.")
    result = {}
    for role in wanted:
        # Answers, errors included, come back as responses: a 500 is a row, not a crash.
        client = Client(raise_request_exception=False, HTTP_HOST=allowed_host())
        client.force_login(found[role])
        result[role] = client
    if roles is None or API in roles:
        result[API] = api_client()
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
    url = page.url

    def get():
        # secure=True: with DEBUG off, the production settings redirect plain HTTP.
        return client.get(url, secure=True)

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
    spread = benchlib.spread(times)
    return Result(
        page,
        status_text(response.status_code),
        ok=response.status_code == page.expect,
        median_ms=spread["median_ms"],
        p95_ms=spread["p95_ms"],
        queries=queries,
    )


def table(results: list[Result]) -> str:
    rows = []
    for r in results:
        url = f" `{r.page.url}`" if r.page.url else ""
        status = r.status if r.ok else f"**{r.status}**"
        queries = str(r.queries) if r.queries is not None else "–"
        rows.append(
            [
                f"{r.page.name}{url}",
                r.page.role,
                r.page.rows,
                benchlib.ms(r.median_ms),
                benchlib.ms(r.p95_ms),
                queries,
                status,
            ]
        )
    headers = ["page", "role", "rows that matter", "median ms", "p95 ms", "queries", "status"]
    return benchlib.markdown_table(headers, rows)


def as_json(results: list[Result], env: dict, runs: int) -> dict:
    return {
        "benchmark": "pages",
        "environment": env,
        "runs": runs,
        "results": [
            {**asdict(r.page), **{k: v for k, v in asdict(r).items() if k != "page"}}
            for r in results
        ],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="timed requests per page (20)")
    parser.add_argument("--debug", action="store_true", help="keep DEBUG as configured")
    parser.add_argument("--only", metavar="KEY[,KEY]", help="time only these pages (see --list)")
    parser.add_argument("--list", action="store_true", help="show the page keys and stop")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(PAGES))
        return
    if args.runs < 1:
        parser.error("--runs must be 1 or more")
    only = [k.strip() for k in args.only.split(",") if k.strip()] if args.only else None
    if only is not None and (not only or any(k not in PAGES for k in only)):
        parser.error(f"--only takes page keys, separated by commas: {', '.join(PAGES)}")
    if not args.debug:
        benchlib.production_like()  # no query log, no template debugging: as in production
    # force_login carries no second factor: time the pages, not the code page's redirect.
    settings.REQUIRE_2FA = False
    # A 403 or 404 is a row of the table, not a warning with its traceback (errors still log).
    logging.getLogger("django.request").setLevel(logging.ERROR)
    env = benchlib.environment()
    how = f"{args.runs} timed requests per page after 2 warm-ups, in-process test client"
    print(benchlib.environment_text(env, how))
    print()
    todo = pages(only)
    by_role = clients({page.role for page in todo})
    gc.freeze()  # as q3helpdesk/wsgi.py does after start-up in production
    results = []
    try:
        for page in todo:
            results.append(measure(page, by_role[page.role], args.runs))
            print(f"  {page.key}: {results[-1].status}", file=sys.stderr)
    finally:
        remove_api_clients()
    print(table(results))
    benchlib.write_json(args.json, as_json(results, env, args.runs))


if __name__ == "__main__":
    main()
