"""Indexes proven by plans (issue 17 item 7): every filter and sort the list pages offer
reads an index, not the whole table, once the tables are as big as the desk's.

Each test builds the query exactly as the page does (the view's filter set and table with
the page's GET parameters, or the selector the page calls), asks PostgreSQL for its plan
(``EXPLAIN``) on a database of some 40 000 cases and what belongs to them, and asserts
that no big table is read by a sequential scan and that the expected index is read. The
data is written once for the module in one transaction that is rolled back at the end.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tables2 import RequestConfig

from billing.models import Invoice
from billing.views import CreditGrantListView, InvoiceListView, LedgerView
from cases import selectors as case_selectors
from cases.models import Case
from cases.tables import CaseTable
from cases.views.callbacks import CallbackListView
from cases.views.cases import CaseListView
from customers.selectors import customer_lookup
from customers.views import CustomerListView
from q3helpdesk.dashboard.periods import Period
from q3helpdesk.dashboard.selectors import revenue_figures
from q3helpdesk.roles import Role
from tests.factories import UserFactory
from tests.support import big_desk

# Each test runs in a savepoint inside the module's transaction (django_db), and with the
# tests that use the database: before those that empty it (transactional ones).
pytestmark = [pytest.mark.postgresql, pytest.mark.django_db]

# The tables that grow with the business: none of them may be read whole by a list page.
BIG_TABLES = {
    "customers_customer",
    "customers_contact",
    "customers_licence",
    "customers_rentalperiod",
    "cases_case",
    "cases_casesearch",
    "cases_timeentry",
    "cases_callback",
    "billing_usage",
    "billing_usagedraw",
    "billing_creditgrant",
    "billing_invoice",
}


@pytest.fixture(scope="module")
def desk(django_db_setup, django_db_blocker):
    """The big desk, written once for the module in a transaction rolled back after it.

    ANALYZE inside the transaction gives the planner the statistics of these rows (it
    counts the rows the transaction itself inserted), as on a desk a few years old.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        support = Group.objects.get(name=Role.SUPPORT.value)
        users = [UserFactory() for _ in range(big_desk.DESK_USERS)]
        for user in users:
            user.groups.add(support)
        params = {
            "customers": big_desk.CUSTOMERS,
            "cases": big_desk.CASES,
            "usages": big_desk.USAGES,
            "callbacks": big_desk.CALLBACKS,
            "invoices": big_desk.INVOICES,
            "users": [u.pk for u in users],
        }
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM billing_tariff ORDER BY valid_from LIMIT 1")
            params["tariff"] = cursor.fetchone()[0]
            big_desk.fill(cursor, params)
        yield {**params, "desk_users": users, "admin": UserFactory(is_superuser=True)}
        transaction.set_rollback(True)


# --- the queries of the pages, and their plans ------------------------------------------


def page_query(view_class, params: dict, user):
    """The query of the list's first page, as the view builds it from the GET parameters:
    its filter set, then its table (sorting and the page's slice). The page must show rows:
    the plan of a page that finds nothing would prove nothing."""
    request = RequestFactory().get("/", params)
    request.user = user
    view = view_class()
    view.setup(request)
    filterset = view.filterset = view.get_filterset(view.get_filterset_class())
    # As FilterView.get: no parameters is the list unfiltered, else the filters must hold.
    assert not filterset.is_bound or filterset.is_valid(), filterset.errors
    view.object_list = filterset.qs
    table = view.get_table(**view.get_table_kwargs())
    if "sort" in params:  # a column the table does not sort by is ignored: say so
        assert str(table.order_by) == params["sort"], "the table does not offer this sort"
    assert table.paginator.count > 0, f"no rows for {params}: the data misses the case"
    return table.page.object_list.data


def plan_of(queryset) -> dict:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        return cursor.fetchone()[0][0]["Plan"]


def plan_of_sql(sql: str) -> dict:
    """The plan of a statement a page ran (its parameters in the text, as captured)."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        return cursor.fetchone()[0][0]["Plan"]


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def seq_scans(plan: dict) -> set[str]:
    """The big tables the plan reads whole."""
    return {
        n["Relation Name"]
        for n in _nodes(plan)
        if n["Node Type"] == "Seq Scan" and n["Relation Name"] in BIG_TABLES
    }


def indexes_read(plan: dict) -> set[str]:
    return {n["Index Name"] for n in _nodes(plan) if "Index Name" in n}


def show(plan: dict, depth: int = 0) -> str:
    """The plan's nodes, one a line (for the failure message)."""
    what = plan.get("Index Name") or plan.get("Relation Name") or ""
    line = f"{'  ' * depth}{plan['Node Type']} {what}".rstrip()
    return "\n".join([line, *(show(child, depth + 1) for child in plan.get("Plans", ()))])


# --- what the pages ask --------------------------------------------------------------------
# A parameter's value is a string, or a function of the desk's data (a day, a user...).


def a_month_ago(desk) -> str:
    return str(timezone.localdate() - timedelta(days=30))


def ten_months_ago(desk) -> str:
    return str(timezone.localdate() - timedelta(days=300))


def a_desk_member(desk) -> str:
    return str(desk["desk_users"][0].pk)


def a_case_reference(desk) -> str:
    return f"C-{desk['case0'] + 123}"


def an_invoice_number(desk) -> str:
    return (
        Invoice.objects.filter(number__isnull=False)
        .order_by("id")
        .values_list("number", flat=True)[100]
    )


CUSTOMER = "100042"  # a customer with cases, time, callbacks, grants and invoices


def _id(view, params) -> str:
    query = "&".join(f"{k}={getattr(v, '__name__', v)}" for k, v in params.items())
    return f"{view.__name__}?{query}"


def page(view, params: dict, *indexes: str):
    """The page's query with these GET parameters reads one of ``indexes``."""
    return pytest.param(view, params, indexes, id=_id(view, params))


def sorted_both_ways(view, column: str, *indexes: str, **params: str):
    return [page(view, {**params, "sort": s}, *indexes) for s in (column, f"-{column}")]


# The foreign keys' own indexes (Django names them after the table and column).
CASE_CUSTOMER_FK = "cases_case_customer_id_3e0cf925"
CASE_ASSIGNEE_FK = "cases_case_assignee_id_28343c2e"
CALLBACK_CASE_FK = "cases_callback_case_id_967d8b97"
USAGE_CUSTOMER_FK = "billing_usage_customer_id_a1629063"
GRANT_CUSTOMER_FK = "billing_creditgrant_customer_id_44e0d755"
INVOICE_CUSTOMER_FK = "billing_invoice_customer_id_12e1ebba"
# A unique text column has a second index for LIKE (varchar_pattern_ops), which serves "=".
CUSTOMER_NUMBER_LIKE = "customers_customer_number_c63b3994_like"
INVOICE_NUMBER_LIKE = "billing_invoice_number_b2bb8a8d_like"

# The case list: with no filter the working view (open and waiting, case_active_idx);
# "status=" is every case, urgent first (case_urgent_idx), which the filters narrow while
# the urgent order reads its index. Its table sorts by every column, over every case.
CASE_PAGES = [
    page(CaseListView, {}, "case_active_idx"),
    page(CaseListView, {"status": ""}, "case_urgent_idx"),
    page(CaseListView, {"status": "open"}, "case_active_idx", "case_status_idx"),
    page(CaseListView, {"status": "waiting"}, "case_active_idx", "case_status_idx"),
    page(CaseListView, {"status": "resolved"}, "case_urgent_idx", "case_status_idx"),
    page(CaseListView, {"status": "closed"}, "case_urgent_idx", "case_status_idx"),
    page(CaseListView, {"mine": "on"}, "case_urgent_idx", "case_assignee_idx"),
    page(CaseListView, {"kind": "lead"}, "case_urgent_idx", "case_kind_created_idx"),
    page(CaseListView, {"channel": "remote"}, "case_urgent_idx", "case_channel_idx"),
    page(CaseListView, {"assignee": a_desk_member}, "case_urgent_idx", "case_assignee_idx"),
    page(CaseListView, {"customer": CUSTOMER}, CASE_CUSTOMER_FK, "case_customer_idx"),
    page(CaseListView, {"created_from": a_month_ago}, "case_urgent_idx", "case_created_idx"),
    page(CaseListView, {"created_to": ten_months_ago}, "case_urgent_idx", "case_created_idx"),
    page(CaseListView, {"support_plus": "true"}, "case_urgent_idx", "case_default_order_idx"),
    page(CaseListView, {"support_plus": "false"}, "case_urgent_idx", "case_default_order_idx"),
    page(CaseListView, {"resolved_from": a_month_ago}, "case_urgent_idx", "case_resolved_idx"),
    page(CaseListView, {"resolved_to": ten_months_ago}, "case_urgent_idx", "case_resolved_idx"),
    page(CaseListView, {"q": "Zahlungsdatei"}, "casesearch_vector_idx"),
    page(CaseListView, {"q": "Zahlungsdatei", "status": "open"}, "casesearch_vector_idx"),
    *sorted_both_ways(CaseListView, "support_plus", "case_default_order_idx", status=""),
    *sorted_both_ways(CaseListView, "reference", "cases_case_pkey", status=""),
    *sorted_both_ways(CaseListView, "created_at", "case_created_idx", status=""),
    *sorted_both_ways(CaseListView, "customer", "customer_name_idx", status=""),
    *sorted_both_ways(CaseListView, "channel", "case_channel_idx", status=""),
    *sorted_both_ways(CaseListView, "kind", "case_kind_created_idx", status=""),
    *sorted_both_ways(CaseListView, "subject", "case_subject_idx", status=""),
    *sorted_both_ways(CaseListView, "status", "case_status_idx", status=""),
    *sorted_both_ways(CaseListView, "assignee", CASE_ASSIGNEE_FK, "case_assignee_idx", status=""),
    # "contact": not offered, see test_the_case_list_does_not_offer_the_sort_no_index_serves.
    # The working view sorted: its open and waiting cases (case_active_idx), or the sort's
    # index filtered (which the planner finds cheaper).
    page(CaseListView, {"sort": "subject"}, "case_active_idx", "case_subject_idx"),
    page(CaseListView, {"sort": "created_at"}, "case_active_idx", "case_created_idx"),
    page(CaseListView, {"sort": "customer"}, "case_active_idx", "customer_name_idx"),
    page(CaseListView, {"sort": "assignee"}, "case_active_idx", CASE_ASSIGNEE_FK),
]

CALLBACK_PAGES = [
    page(CallbackListView, {}, "callback_first_window_idx"),
    page(CallbackListView, {"state": "waiting"}, "callback_missed_idx", "callback_queue_idx"),
    page(CallbackListView, {"state": "overdue"}, "callback_missed_idx", "callback_queue_idx"),
    *[
        page(CallbackListView, {"state": state}, "callback_missed_idx", "callback_first_window_idx")
        for state in ("missed", "expired")
    ],
    *[
        page(CallbackListView, {"state": state}, "callback_first_window_idx")
        for state in ("first_window", "reached", "cancelled")
    ],
    page(CallbackListView, {"customer": CUSTOMER}, CALLBACK_CASE_FK),
    page(CallbackListView, {"due_from": a_month_ago}, "callback_first_window_idx"),
    page(CallbackListView, {"due_to": ten_months_ago}, "callback_first_window_idx"),
    page(CallbackListView, {"support_plus": "true"}, "callback_first_window_idx"),
    *sorted_both_ways(CallbackListView, "windows", "callback_first_window_idx"),
    *sorted_both_ways(CallbackListView, "first_window_start", "callback_first_window_idx"),
    *sorted_both_ways(CallbackListView, "created_at", "callback_created_idx"),
]

LEDGER_PAGES = [
    page(LedgerView, {}, "usage_day_activity_idx"),
    page(LedgerView, {"customer": CUSTOMER}, USAGE_CUSTOMER_FK, "usage_customer_day_idx"),
    page(LedgerView, {"performed_from": a_month_ago}, "usage_day_activity_idx"),
    page(LedgerView, {"performed_to": ten_months_ago}, "usage_day_activity_idx"),
    page(LedgerView, {"activity": "forms"}, "usage_day_activity_idx", "usage_activity_day_idx"),
    page(LedgerView, {"work_ref": a_case_reference}, "usage_work_ref_idx"),
    *[
        page(LedgerView, {"minutes": kind}, "usage_day_activity_idx")
        for kind in ("free", "credit", "billable")
    ],
    page(LedgerView, {"minutes": "unbilled"}, "usage_unbilled_idx", "usage_day_activity_idx"),
    page(LedgerView, {"credit_from": "standard"}, "usage_day_activity_idx"),
    page(LedgerView, {"credit_from": "support_plus"}, "grant_source_idx"),
    # Sorting the whole ledger (the date emptied, as a user does to see everything); the
    # default view is this month's, a few rows on the first days of a month, which the
    # planner rightly sorts after reading them by date.
    *sorted_both_ways(LedgerView, "performed_on", "usage_day_activity_idx", performed_from=""),
    *sorted_both_ways(LedgerView, "customer", "customers_customer_number_key", performed_from=""),
    *sorted_both_ways(LedgerView, "work_ref", "usage_work_ref_idx", performed_from=""),
    *sorted_both_ways(LedgerView, "activity", "usage_activity_day_idx", performed_from=""),
]

GRANT_PAGES = [
    page(CreditGrantListView, {}, "grant_valid_to_idx"),
    page(CreditGrantListView, {"customer": CUSTOMER}, GRANT_CUSTOMER_FK, "grant_validity_idx"),
    page(CreditGrantListView, {"valid_on": a_month_ago}, "grant_valid_to_idx"),
    page(CreditGrantListView, {"source": "support_plus"}, "grant_source_idx"),
    page(CreditGrantListView, {"source": "licence"}, "grant_source_idx", "grant_valid_to_idx"),
    *sorted_both_ways(CreditGrantListView, "customer", "customers_customer_number_key"),
    *sorted_both_ways(CreditGrantListView, "source", "grant_source_idx"),
    *sorted_both_ways(CreditGrantListView, "valid_from", "grant_valid_from_idx"),
    *sorted_both_ways(CreditGrantListView, "valid_to", "grant_valid_to_idx"),
    *sorted_both_ways(CreditGrantListView, "minutes", "grant_minutes_idx"),
    # The minutes used: the grant's roll-up of its draws (billing.services.rollups).
    *sorted_both_ways(CreditGrantListView, "used", "grant_used_idx"),
    *sorted_both_ways(CreditGrantListView, "remaining", "grant_remaining_idx"),
]

INVOICE_PAGES = [
    page(InvoiceListView, {}, "invoice_issued_idx"),
    *[
        page(InvoiceListView, {"status": status}, "invoice_status_day_idx", "invoice_issued_idx")
        for status in ("draft", "issued", "cancelled")
    ],
    page(InvoiceListView, {"kind": "invoice"}, "invoice_issued_idx", "invoice_kind_idx"),
    page(InvoiceListView, {"kind": "credit_note"}, "invoice_kind_idx"),
    page(InvoiceListView, {"customer": CUSTOMER}, INVOICE_CUSTOMER_FK, "invoice_customer_idx"),
    page(
        InvoiceListView,
        {"number": an_invoice_number},
        INVOICE_NUMBER_LIKE,
        "billing_invoice_number_key",
    ),
    page(InvoiceListView, {"period_from": a_month_ago}, "invoice_issued_idx"),
    page(InvoiceListView, {"period_to": ten_months_ago}, "invoice_issued_idx"),
    page(InvoiceListView, {"issued_from": a_month_ago}, "invoice_issued_idx"),
    page(InvoiceListView, {"issued_to": ten_months_ago}, "invoice_issued_idx"),
    *sorted_both_ways(InvoiceListView, "number", "billing_invoice_number_key"),
    *sorted_both_ways(InvoiceListView, "status", "invoice_status_day_idx"),
    *sorted_both_ways(InvoiceListView, "customer", "customers_customer_number_key"),
    *sorted_both_ways(InvoiceListView, "period", "invoice_period_idx"),
    *sorted_both_ways(InvoiceListView, "issued_on", "invoice_issued_idx"),
]

CUSTOMER_PAGES = [
    page(CustomerListView, {}, "customer_name_idx"),
    page(CustomerListView, {"eligible": "true"}, "customer_name_idx"),
    page(CustomerListView, {"eligible": "false"}, "customer_name_idx"),
    page(CustomerListView, {"variant": "standard"}, "customer_name_idx", "licence_variant_idx"),
    page(CustomerListView, {"variant": "premium"}, "customer_name_idx", "licence_variant_idx"),
    # Support+ is for a hundred customers at most (the tariff's capacity): from them.
    page(CustomerListView, {"support_plus": "true"}, "customers_customer_pkey"),
    page(CustomerListView, {"support_plus": "false"}, "customer_name_idx"),
    page(CustomerListView, {"half_fare": "true"}, "customer_name_idx"),
    page(CustomerListView, {"half_fare": "false"}, "customer_name_idx"),
    page(CustomerListView, {"city": "ort 42"}, "customer_city_upper_idx"),
    *sorted_both_ways(CustomerListView, "number", "customers_customer_number_key"),
    *sorted_both_ways(CustomerListView, "name", "customer_name_idx"),
    *sorted_both_ways(CustomerListView, "city", "customer_city_idx"),
]


@pytest.mark.parametrize(
    ("view", "params", "indexes"),
    [*CASE_PAGES, *CALLBACK_PAGES, *LEDGER_PAGES, *GRANT_PAGES, *INVOICE_PAGES, *CUSTOMER_PAGES],
)
def test_each_filter_and_sort_of_a_list_reads_an_index(desk, view, params, indexes):
    params = {name: value(desk) if callable(value) else value for name, value in params.items()}
    user = desk["desk_users"][0] if "mine" in params else desk["admin"]
    plan = plan_of(page_query(view, params, user))
    assert not seq_scans(plan), show(plan)
    assert indexes_read(plan) & set(indexes), show(plan)


# --- what no index can serve ---------------------------------------------------------------


def test_the_case_list_does_not_offer_the_sort_no_index_serves():
    """Sorting by contact cannot be served by an index: a case's contact is optional, so
    the list joins the contacts with a LEFT JOIN and orders by their name, an order that no
    index of the cases holds; over every case the page would read them all. The table does
    not offer it (``orderable_fields``): no link, and ``?sort=contact`` is ignored."""
    table = CaseTable(Case.objects.none())
    RequestConfig(RequestFactory().get("/cases/", {"sort": "contact"})).configure(table)
    assert not table.columns["contact"].orderable
    assert not table.order_by
    assert all(table.columns[name].orderable for name in CaseTable.Meta.orderable_fields)


# --- the text search: a page chosen on the search rows ------------------------------------


def _relations(plan: dict) -> set[str]:
    return {n["Relation Name"] for n in _nodes(plan) if "Relation Name" in n}


@pytest.mark.parametrize(
    "params",
    [{"q": "paiement"}, {"q": "Zahlungsdatei"}, {"q": "paiement", "status": "closed"}],
    ids=["frequent word", "rare word", "frequent word, closed cases"],
)
def test_the_text_search_chooses_its_page_before_it_reads_the_cases(desk, params):
    """The page's fifty are chosen among the matches (on the search rows, each joined to
    its case only for the list's filters), and only they are joined to their customers and
    contacts. A rare word's matches come from the GIN index and are ranked; a frequent
    word (5 000 matches, more than are ranked) is read in the list's order from
    ``casesearch_order_idx``, fifty rows and no sort of all its matches. The statement the
    page runs (``ids_first``), not the queryset's one-statement form, is explained."""
    rows = page_query(CaseListView, params, desk["admin"])
    with CaptureQueriesContext(connection) as queries:
        assert len(list(rows)) > 0
    (sql,) = [q["sql"] for q in queries.captured_queries if "cases_casesearch" in q["sql"]]
    plan = plan_of_sql(sql)
    (limit,) = [n for n in _nodes(plan) if n["Node Type"] == "Limit"]  # the page's ids
    assert _relations(limit) == {"cases_casesearch", "cases_case"}, show(plan)
    assert {"customers_customer", "customers_contact"} <= _relations(plan), show(plan)
    assert not seq_scans(plan), show(plan)
    if params["q"] == "Zahlungsdatei":
        assert "casesearch_vector_idx" in indexes_read(limit), show(plan)
    else:
        assert "casesearch_order_idx" in indexes_read(limit), show(plan)
        assert not [n for n in _nodes(limit) if n["Node Type"] == "Sort"], show(plan)


def test_a_text_search_counts_its_matches_through_an_index(desk):
    """The one count of a text search (up to ``RANKED_MATCHES``, it decides the order and
    is the list's count) stops at the bound and reads no table whole: a frequent word's
    first thousand matches by an index, a rare word's from the GIN index."""
    filterset = CaseListView.filterset_class(
        {"q": "paiement"}, queryset=CaseListView().get_queryset()
    )
    with CaptureQueriesContext(connection) as queries:
        filterset.qs  # noqa: B018 - the filter set counts the matches as it filters
    (sql,) = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0][0]["Plan"]
    assert filterset.search_matches.counted == case_selectors.RANKED_MATCHES + 1
    assert not seq_scans(plan), show(plan)
    # It stops at the bound: the rows stream through the limit (no sort, hash or bitmap
    # that would first collect all 5 000 matches), and no more than the bound pass it.
    (limit,) = [n for n in _nodes(plan) if n["Node Type"] == "Limit"]
    assert limit["Actual Rows"] == case_selectors.RANKED_MATCHES + 1, show(plan)
    collecting = {"Sort", "Hash", "Bitmap Heap Scan", "Materialize", "Aggregate"}
    assert not [n for n in _nodes(limit) if n["Node Type"] in collecting], show(plan)
    rare = CaseListView.filterset_class(
        {"q": "Zahlungsdatei"}, queryset=CaseListView().get_queryset()
    )
    with CaptureQueriesContext(connection) as queries:
        assert rare.qs is not None
    (sql,) = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
    plan = plan_of_sql(sql)
    assert rare.search_matches.counted == 160
    assert "casesearch_vector_idx" in indexes_read(plan), show(plan)
    assert not seq_scans(plan), show(plan)


# --- the callback queue and the caller lookup ----------------------------------------------


@pytest.mark.parametrize(
    ("part", "indexes"),
    [
        ("waiting", {"callback_queue_idx", "callback_missed_idx"}),
        ("missed", {"callback_queue_idx", "callback_missed_idx"}),
        ("mine", {"callback_queue_idx", "callback_missed_idx"}),
    ],
)
def test_the_callback_queue_reads_an_index(desk, part, indexes):
    """The queue's two lists, paginated by fifty as the queue page does, and the callbacks
    of the home page ("mine": claimed by me, or due and claimed by nobody)."""
    now = timezone.now()
    callbacks = {
        "waiting": lambda: case_selectors.callbacks_waiting(now),
        "missed": lambda: case_selectors.callbacks_missed(now),
        "mine": lambda: case_selectors.callbacks_for(user=desk["desk_users"][0], now=now),
    }[part]()
    first_page = Paginator(callbacks, 50).get_page(1)
    assert first_page.paginator.count > 0
    plan = plan_of(first_page.object_list)
    assert not seq_scans(plan), show(plan)
    assert indexes_read(plan) & indexes, show(plan)


def _name_token(customer: int) -> str:
    # The customer's name as the data's SQL writes it: md5 of its position, 8 digits.
    return hashlib.md5(str(customer).encode(), usedforsecurity=False).hexdigest()[:8]


def _typo(word: str) -> str:
    return word[:-1] + ("0" if word[-1] != "0" else "1")


@pytest.mark.parametrize(
    ("query", "kind", "indexes"),
    [
        (
            "100042",
            "number",
            {"customers_customer_number_key", "customers_customer_number_c63b3994_like"},
        ),
        ("031 500 00 42", "phone", {"customer_phone_idx", "contact_phone_idx"}),
        ("INFO42@firma42.example", "email", {"customer_email_trgm"}),
        ("nfo42@firma42.exampl", "email", {"customer_email_trgm"}),
        ("500 00 42", "phone_part", {"customer_phone_trgm"}),
        ("firma42.example", "email_domain", {"customer_email_trgm", "contact_email_trgm"}),
        (_name_token(42), "name", {"customer_name_key_trgm", "customer_fold_key_trgm"}),
        (_typo(_name_token(42)), "name", {"customer_fold_key_trgm"}),
    ],
)
def test_the_caller_lookup_reads_an_index(desk, query, kind, indexes):
    """Every query of the lookup (customers, then contacts; the typo search after the exact
    one) reads the customers and contacts through an index: the number's, the phone's and
    the e-mail's, or the trigram indexes of customers 0004 for parts of words and typos."""
    with CaptureQueriesContext(connection) as queries:
        result = customer_lookup(q=query)
    assert result.kind == kind
    assert result.hits
    read: set[str] = set()
    for sql in (q["sql"] for q in queries.captured_queries):
        if not sql.startswith("SELECT") or '"customers_' not in sql:
            continue
        plan = plan_of_sql(sql)
        assert not seq_scans(plan), f"{sql}\n{show(plan)}"
        read |= indexes_read(plan)
    assert read & indexes, read


def test_a_missing_index_shows_in_the_plan(desk):
    """The check itself: without the index a sort needs, the page's plan reads the table
    whole, and the tests above fail (the index is dropped inside this test's transaction)."""
    params = {"status": "", "sort": "subject"}
    plan = plan_of(page_query(CaseListView, params, desk["admin"]))
    assert "case_subject_idx" in indexes_read(plan)
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX case_subject_idx")
    plan = plan_of(page_query(CaseListView, params, desk["admin"]))
    assert "cases_case" in seq_scans(plan), show(plan)


def test_the_dashboard_revenue_reads_the_covering_issue_date_index(desk):
    """The revenue tile sums the net of the invoices of a period and the one before by issue
    date and status: the issue-date index carries both (PostgreSQL's INCLUDE), so the sum
    can be read from it. (Two months of the desk's two years: over both years the planner
    rightly reads the whole table.)"""
    first = timezone.localdate().replace(day=1)
    last_month = Period((first - timedelta(days=1)).replace(day=1), first - timedelta(days=1))
    period = last_month
    with CaptureQueriesContext(connection) as queries:
        revenue_figures(period, period.previous())
    (query,) = queries.captured_queries
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {query['sql']}")
        plan = cursor.fetchone()[0][0]["Plan"]
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'invoice_issued_idx'")
        (definition,) = cursor.fetchone()
    assert not seq_scans(plan), show(plan)
    assert "invoice_issued_idx" in indexes_read(plan), show(plan)
    assert definition.endswith("(issued_on) INCLUDE (status, net)"), definition


# --- the API for other systems ---------------------------------------------------------------


def _recent(days: int) -> tuple[str, str]:
    today = timezone.localdate()
    return (today - timedelta(days=days)).isoformat(), today.isoformat()


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/customers/", {}),
        ("/api/v1/customers/", {"eligible": "true"}),
        ("/api/v1/customers/", {"number": "100042"}),
        ("/api/v1/caller/", {"phone": "031 500 00 42"}),
        ("/api/v1/cases/", {}),
        ("/api/v1/cases/", {"created_from": _recent(7)[0], "created_to": _recent(7)[1]}),
        ("/api/v1/cases/", {"customer": "100042"}),
        ("/api/v1/usages/", {"performed_from": _recent(7)[0], "performed_to": _recent(7)[1]}),
        (
            "/api/v1/usages/",
            {
                "performed_from": _recent(365)[0],
                "performed_to": _recent(0)[1],
                "customer": "100042",
            },
        ),
        ("/api/v1/invoices/", {"issued_from": _recent(40)[0], "issued_to": _recent(0)[1]}),
        ("/api/v1/invoices/", {"customer": "100042"}),
    ],
)
def test_each_list_of_the_api_reads_an_index(desk, path, params):
    """What another system asks the API (a day range, a customer) reads no big table whole:
    every query of the request, the page's and those its rows need (credit, costs)."""
    from django.test import Client

    from q3helpdesk.api.services import api_client_create

    _, token = api_client_create(
        name=f"plans {path} {sorted(params)}",
        scopes=["customers", "caller", "cases", "usages", "invoices"],
    )
    client = Client(headers={"Authorization": f"Bearer {token}"})
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body.get("results", body.get("matches")), "no rows: the plan would prove nothing"
    for sql in (q["sql"] for q in queries.captured_queries):
        if not sql.startswith("SELECT") or not any(f'"{t}"' in sql for t in BIG_TABLES):
            continue
        plan = plan_of_sql(sql)
        assert not seq_scans(plan), f"{sql}\n{show(plan)}"
