"""The manager dashboard: every KPI against hand-computed values on a small fixed data set,
the lists behind the figures, an empty period, the query budget and the roles.

The desk's story (Europe/Zurich; "now" is Friday 20 November 2026, 10:00):

October (the previous period)
- A (standard, COFI, 5 min credit) calls on 10.10: 12 min support -> 15 charged, 5 from
  credit, 10 billable (CHF 29.17); resolved 12.10; invoiced on 2.11 (net 29.17).
  Callback requested 09:05, window 13:00-14:00, reached 13:30 (wait 4 h 25 min).
- D (no licence) is recorded as a rental-switch lead on 20.10.

November (the period)
- 3.11 A e-mail, 3 min -> 5 billable (credit used up): CHF 14.58. Callback requested 09:10,
  windows 3.11 14-15 h and 4.11 14-15 h, reached 14:20 (first window; wait 5 h 10 min).
  Resolved 12.11.
- 4.11 B (profi, COFI+SAL, 25 min) phone, 22 min -> 25 from credit. Callback requested
  10:10, windows 4.11 16-17 h and 5.11 9-10 h: no answer 16:30, reached 5.11 09:15 (not in
  the first window; wait 6 h 20 min). Resolved 10.11.
- 5.11 B phone, first installation 8 min -> 10 free. Callback requested 11:00 for 6.11
  9-10 h, never tried: missed.
- 6.11 C (rent CHF 90: no credit) phone, 5 min -> 5 billable: CHF 14.58. Callback requested
  19.11 10:00 for 19.11 14-15 h and 23.11 9-10 h: overdue now.
- 11.11 two leads for D.
- E (premium, Support+ with one registered person) does nothing.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from billing.selectors import ledger_totals, ledger_usages
from billing.services import invoice_drafts, invoice_issue
from cases.callbacks import callback_attempt, callback_schedule
from cases.models import Case
from cases.services import case_create, case_set_status, time_entry_add
from q3helpdesk.dashboard import selectors
from q3helpdesk.dashboard.periods import Period, preset
from q3helpdesk.roles import Role
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    make_company,
    rental_customer,
    support_plus,
)

pytestmark = pytest.mark.django_db

ZURICH = ZoneInfo("Europe/Zurich")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=ZURICH)
NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))
OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))


def at(day: date, hour: int, minute: int = 0):
    return time_machine.travel(datetime.combine(day, time(hour, minute), tzinfo=ZURICH), tick=False)


def _case(customer, day, hour, channel="phone", **kwargs):
    with at(day, hour):
        return case_create(customer=customer, channel=channel, subject="Question", **kwargs)


def _log(case, day, minutes, activity="support"):
    with at(day, 17):
        time_entry_add(case=case, activity=activity, minutes=minutes, performed_on=day)


def _callback(case, requested: tuple, windows: list, attempts: list):
    with at(*requested):
        callback = callback_schedule(case=case, phone="031 511 49 49", reason="x", windows=windows)
    for when, outcome in attempts:
        with at(*when):
            callback = callback_attempt(callback=callback, outcome=outcome)
    return callback


def _resolve(case, day):
    with at(day, 16):
        case_set_status(case=case, status="resolved")


@pytest.fixture
def desk():
    """The story above; returns the customers by letter."""
    make_company()
    a = rental_customer(number="20001", name="A Fiduciaire")
    b = rental_customer(variant="profi", modules=("COFI", "SAL"), number="20002", name="B Garage")
    c = rental_customer(number="20003", name="C Atelier", rent=Decimal("90.00"))
    d = CustomerFactory(number="20004", name="D Prospect")
    e = rental_customer(variant="premium", number="20005", name="E Holding")
    support_plus(e, [ContactFactory(customer=e)])

    d10 = date(2026, 10, 10)
    case1 = _case(a, d10, 9)
    _callback(case1, (d10, 9, 5), [(d10, time(13), time(14))], [((d10, 13, 30), "reached")])
    _log(case1, d10, 12)
    _resolve(case1, date(2026, 10, 12))
    _case(d, date(2026, 10, 20), 11, kind="lead")

    with at(date(2026, 11, 2), 8):
        (draft,) = invoice_drafts(period_start=OCTOBER.start, period_end=OCTOBER.end, customers=[a])
        invoice_issue(invoice=draft, issued_on=date(2026, 11, 2))

    n3, n4, n5, n6 = (date(2026, 11, day) for day in (3, 4, 5, 6))
    case2 = _case(a, n3, 9, channel="email")
    _callback(
        case2,
        (n3, 9, 10),
        [(n3, time(14), time(15)), (n4, time(14), time(15))],
        [((n3, 14, 20), "reached")],
    )
    _log(case2, n3, 3)
    case3 = _case(b, n4, 10)
    _callback(
        case3,
        (n4, 10, 10),
        [(n4, time(16), time(17)), (n5, time(9), time(10))],
        [((n4, 16, 30), "no_answer"), ((n5, 9, 15), "reached")],
    )
    _log(case3, n4, 22)
    case4 = _case(b, n5, 10)
    _callback(case4, (n5, 11, 0), [(n6, time(9), time(10))], [])
    _log(case4, n5, 8, activity="first_install")
    case5 = _case(c, n6, 10)
    _log(case5, n6, 5)
    n19 = date(2026, 11, 19)
    _callback(
        case5,
        (n19, 10, 0),
        [(n19, time(14), time(15)), (date(2026, 11, 23), time(9), time(10))],
        [],
    )
    _resolve(case3, date(2026, 11, 10))
    _resolve(case2, date(2026, 11, 12))
    _case(d, date(2026, 11, 11), 9, kind="lead")
    _case(d, date(2026, 11, 11), 10, kind="lead")
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def manager(client, user_with_role):
    client.force_login(user_with_role(Role.MANAGER))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _values(pairs: dict) -> dict:
    return {name: (pair.value, pair.previous) for name, pair in pairs.items()}


# --- each KPI against the story -----------------------------------------------------------


def test_cases_opened_resolved_and_leads(desk, now):
    assert _values(selectors.case_figures(NOVEMBER, OCTOBER)) == {
        "opened": (4, 1),
        "leads": (2, 1),
        "resolved": (2, 1),
    }


def test_a_resolved_lead_or_a_case_closed_unresolved_is_not_a_case_resolved(desk, now):
    lead = Case.objects.filter(kind="lead", created_at__gte=datetime(2026, 11, 1, tzinfo=ZURICH))
    _resolve(lead.first(), date(2026, 11, 12))
    closed = _case(desk["c"], date(2026, 11, 13), 9)
    with at(date(2026, 11, 13), 10):
        case_set_status(case=closed, status="closed")
    assert _values(selectors.case_figures(NOVEMBER, OCTOBER))["resolved"] == (2, 1)


def test_minutes_free_credit_billable_and_billable_not_invoiced(desk, now):
    assert _values(selectors.minute_figures(NOVEMBER, OCTOBER)) == {
        "free": (10, 0),
        "credit": (25, 5),
        "billable": (10, 10),
        # October's 10 billable minutes are invoiced; November: A 14.58 + C 14.58
        "unbilled": (Decimal("29.16"), Decimal("0.00")),
    }


def test_revenue_invoiced_by_issue_date(desk, now):
    assert _values(selectors.revenue_figures(NOVEMBER, OCTOBER)) == {
        "invoiced": (Decimal("29.17"), Decimal("0.00"))
    }


def test_share_of_customers_with_credit_who_used_it(desk, now):
    figures = selectors.credit_share_figures(NOVEMBER, OCTOBER)
    # A, B and E have licence credit (C's rent is below CHF 100); November: B; October: A.
    assert (figures["credit_share_parts"].part, figures["credit_share_parts"].whole) == (1, 3)
    assert _values({"s": figures["credit_share"]}) == {"s": (Decimal("33.3"), Decimal("33.3"))}


def test_only_licence_credit_counts_for_the_credit_share(desk, now):
    from billing.models import CreditGrant

    # F's Support+ year ends before its rental year: its credit is drawn first (R8).
    f = rental_customer(
        variant="premium", start=date(2025, 11, 1), number="20006", name="F Conseil"
    )
    person = ContactFactory(customer=f)
    support_plus(f, [person], start=date(2025, 12, 1), end=date(2026, 11, 30))
    _log(_case(f, date(2026, 11, 16), 9, contact=person), date(2026, 11, 16), 10)
    assert f.usages.get().draws.get().grant.source == "support_plus"
    parts = selectors.credit_share_figures(NOVEMBER, OCTOBER)["credit_share_parts"]
    assert (parts.part, parts.whole) == (1, 4)  # F has licence credit but used none of it
    # A licence grant emptied to 0 minutes (its period's rent fell below CHF 100) gives none.
    CreditGrant.objects.filter(customer=f, source="licence").update(minutes=0)
    parts = selectors.credit_share_figures(NOVEMBER, OCTOBER)["credit_share_parts"]
    assert (parts.part, parts.whole) == (1, 3)


def test_callbacks_due_first_window_missed_and_median_wait(desk, now):
    figures = _values(selectors.callback_figures(NOVEMBER, OCTOBER, NOW))
    assert figures == {
        "due": (4, 1),
        "first_window": (1, 1),
        "missed": (1, 0),
        "service_level": (Decimal("25.0"), Decimal("100.0")),
        # median of 5 h 10 and 6 h 20; October: the one wait of 4 h 25
        "median_wait": (timedelta(hours=5, minutes=45), timedelta(hours=4, minutes=25)),
    }
    assert [cb.case.customer.number for cb in selectors.callbacks_overdue(NOW)] == ["20003"]


def test_the_service_level_judges_only_callbacks_whose_first_window_is_over(desk, now):
    """Not yet: a first window later today or tomorrow. Never: a cancelled callback (the
    customer called again). Both are due, neither lowers the service level."""
    from cases.models import Callback, CallbackStatus

    b, c = desk["b"], desk["c"]
    n9, n20, n21 = date(2026, 11, 9), date(2026, 11, 20), date(2026, 11, 21)
    _callback(_case(b, n20, 8), (n20, 8, 5), [(n20, time(14), time(15))], [])
    _callback(_case(c, n20, 9), (n20, 9, 5), [(n21, time(9), time(10))], [])
    cancelled = _callback(_case(c, n9, 8), (n9, 8, 5), [(n9, time(9), time(10))], [])
    Callback.objects.filter(pk=cancelled.pk).update(status=CallbackStatus.CANCELLED)
    figures = _values(selectors.callback_figures(NOVEMBER, OCTOBER, NOW))
    assert (figures["due"], figures["first_window"]) == ((7, 1), (1, 1))
    assert figures["service_level"] == (Decimal("25.0"), Decimal("100.0"))  # 1 of 4 judged
    levels = {
        lv.week: (lv.due, lv.judged, lv.first_window, lv.percent)
        for lv in selectors.service_level_per_week(NOVEMBER, NOW)
    }
    assert levels[date(2026, 11, 9)] == (1, 0, 0, None)
    assert levels[date(2026, 11, 16)] == (3, 1, 0, Decimal("0.0"))


def test_support_plus_active_persons_and_capacity(desk, now):
    assert _values(selectors.support_plus_figures(NOVEMBER, OCTOBER, NOW.date())) == {
        "active": (1, 1),
        "persons": (1, 1),
    }
    assert selectors.support_plus_capacity_on(NOW.date()) == 100


def test_charts_per_day_week_variant_service_level_and_top(desk, now):
    assert selectors.cases_per_day(NOVEMBER) == {
        "email": {date(2026, 11, 3): 1},
        "phone": {date(2026, 11, 4): 1, date(2026, 11, 5): 1, date(2026, 11, 6): 1},
    }
    week = date(2026, 11, 2)
    assert {k: dict(v) for k, v in selectors.minutes_per_week(NOVEMBER).items()} == {
        "support": {week: 35},
        "first_install": {week: 10},
    }
    assert dict(selectors.credit_by_variant(NOVEMBER)) == {"profi": 25}
    assert dict(selectors.credit_by_variant(OCTOBER)) == {"standard": 5}
    levels = {
        lv.week: (lv.due, lv.judged, lv.first_window, lv.percent)
        for lv in selectors.service_level_per_week(NOVEMBER, NOW)
    }
    assert levels[week] == (3, 3, 1, Decimal("33.3"))
    assert levels[date(2026, 11, 16)] == (1, 1, 0, Decimal("0.0"))
    assert levels[date(2026, 11, 23)] == (0, 0, 0, None)
    assert [(r["number"], r["charged"]) for r in selectors.top_customers(NOVEMBER)] == [
        ("20002", 35),
        ("20001", 5),
        ("20003", 5),
    ]


def test_top_customers_tied_in_minutes_come_by_customer_number(desk, now):
    """A customer created last but with the lowest number comes first among equals."""
    z = rental_customer(number="19999", name="Z Menuiserie")
    _log(_case(z, date(2026, 11, 16), 9), date(2026, 11, 16), 4)  # 5 charged
    rows = selectors.top_customers(NOVEMBER)
    assert [(r["number"], r["name"], r["charged"]) for r in rows] == [
        ("20002", "B Garage", 35),
        ("19999", "Z Menuiserie", 5),
        ("20001", "A Fiduciaire", 5),
        ("20003", "C Atelier", 5),
    ]
    assert [r["number"] for r in selectors.top_customers(NOVEMBER, limit=2)] == ["20002", "19999"]


def test_customer_lists_sum_per_customer_before_reading_names(desk, now):
    """Top customers and credit near its end group by the customer's id alone and read
    number, name and phone afterwards: grouping by them joined every roll-up row of the
    period to its customer first (the slowest query of the year view)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        top = selectors.top_customers(NOVEMBER)
        near = list(selectors.customers_near_end_of_credit(NOW.date()))
    for query in captured:
        sql = query["sql"]
        assert " JOIN " not in sql, sql
        group_by = sql[sql.index("GROUP BY") + len("GROUP BY") : sql.index("HAVING")]
        assert "," not in group_by and "number" not in group_by, sql
    assert (top[0]["number"], top[0]["name"]) == ("20002", "B Garage")
    assert [(c["number"], c["name"], c["phone"]) for c in near] == [
        (desk["a"].number, desk["a"].name, desk["a"].phone),
        (desk["b"].number, desk["b"].name, desk["b"].phone),
    ]


def test_customers_near_the_end_of_their_credit(desk, now):
    rows = list(selectors.customers_near_end_of_credit(NOW.date()))
    # A used 5 of 5, B 25 of 25; E has 145 minutes untouched, C none at all.
    assert [(c["number"], c["granted"], c["used"], c["remaining"]) for c in rows] == [
        ("20001", 5, 5, 0),
        ("20002", 25, 25, 0),
    ]


def test_near_the_end_means_80_percent_exactly(now):
    """7 granted minutes: 5 used is 71 % (not near); 10 charged of which 7 credit is."""
    customer = rental_customer(variant="advanced", number="20009")  # 10 min
    case = _case(customer, date(2026, 11, 2), 9)
    _log(case, date(2026, 11, 2), 7)  # 10 charged from 10 granted
    near = selectors.customers_near_end_of_credit(NOW.date())
    assert [c["number"] for c in near] == ["20009"]
    other = rental_customer(variant="advanced", number="20010")
    _log(_case(other, date(2026, 11, 2), 10), date(2026, 11, 2), 3)  # 5 of 10: 50 %
    assert [c["number"] for c in selectors.customers_near_end_of_credit(NOW.date())] == ["20009"]


# --- the page and the lists behind its figures ---------------------------------------------


def _tile(html: str, key: str) -> str:
    start = html.index(f'data-testid="value-{key}"')
    return html[html.index(">", start) + 1 : html.index("</a>", start)].strip()


def _href(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}"')
    tag_start = html.rindex("<a ", 0, start)
    href = html.index('href="', tag_start) + len('href="')
    return html[href : html.index('"', href)].replace("&amp;", "&")


def test_the_page_shows_the_month_against_last_month(desk, now, manager):
    response = manager.get(reverse("dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "01.11.2026–30.11.2026" in html and "01.10.2026–31.10.2026" in html
    assert _tile(html, "opened") == "4"
    assert _tile(html, "credit") == "25 min"
    assert _tile(html, "invoiced") == "CHF 29.17"
    assert _tile(html, "unbilled") == "CHF 29.16"
    assert _tile(html, "service_level") == "25.0 %"
    assert _tile(html, "median_wait") == "5 h 45 min"
    assert _tile(html, "overdue") == "1"
    assert _tile(html, "support_plus") == "1"
    assert "of 100 places" in html
    assert 'data-testid="delta-opened"' in html and "+3" in html
    assert "Chart.js" not in html and "vendor/chartjs/chart.umd.min.js" in html


def test_every_figure_matches_the_list_behind_it(desk, now, manager):
    html = manager.get(reverse("dashboard")).content.decode()

    def rows(testid: str) -> int:
        return manager.get(_href(html, testid)).context["table"].paginator.count

    assert rows("value-opened") == 4 and rows("previous-opened") == 1
    assert rows("value-resolved") == 2 and rows("previous-resolved") == 1
    assert rows("value-leads") == 2 and rows("previous-leads") == 1
    assert rows("value-due") == 4 and rows("previous-due") == 1
    assert rows("value-missed") == 1 and rows("value-service_level") == 1
    assert rows("value-overdue") == 1
    assert rows("value-support_plus") == 1

    def ledger(testid: str) -> dict:
        return manager.get(_href(html, testid)).context["totals"]

    assert ledger("value-free")["free"] == 10
    assert ledger("value-credit")["credit"] == 25 and ledger("previous-credit")["credit"] == 5
    assert ledger("value-billable")["billable"] == 10
    assert ledger("value-unbilled")["amount"] == Decimal("29.16")
    invoices = manager.get(_href(html, "value-invoiced")).context["totals"]
    assert invoices["net"] == Decimal("29.17") and invoices["count"] == 1


def test_each_bar_of_the_credit_chart_opens_its_postings(desk, now, manager):
    import json

    html = manager.get(reverse("dashboard")).content.decode()
    start = html.index('id="dashboard-charts"')
    body = html[html.index(">", start) + 1 : html.index("</script>", start)]
    credit = json.loads(body)["credit"]
    for value, link in zip(credit["datasets"][0]["data"], credit["links"][0], strict=True):
        assert manager.get(link).context["totals"]["credit"] == value, link
    assert credit["datasets"][0]["data"] == [0, 0, 25, 0, 0]  # B, profi


def test_every_bar_of_the_charts_links_to_its_list(desk, now, manager):
    """The charts' links (built once per series) are those of ``link`` for each bar, and
    the bar of a day opens that day's cases."""
    from billing.selectors import activity_names
    from cases.models import Channel
    from q3helpdesk.dashboard import tiles
    from q3helpdesk.dashboard.periods import days, weeks

    period = Period(date(2026, 10, 29), date(2026, 11, 10))  # a week cut at both ends
    charts = tiles.charts(period, now=NOW, top=[])
    assert charts["cases"]["links"] == [
        [
            tiles.link("case_list", kind="case", channel=value, created_from=d, created_to=d)
            for d in days(period)
        ]
        for value, _label in Channel.choices
    ]
    spans = [(max(w, period.start), min(w + timedelta(days=6), period.end)) for w in weeks(period)]
    assert spans[0] == (date(2026, 10, 29), date(2026, 11, 1))
    assert spans[-1] == (date(2026, 11, 9), date(2026, 11, 10))
    assert charts["minutes"]["links"] == [
        [
            tiles.link("billing:ledger", activity=value, performed_from=a, performed_to=b)
            for a, b in spans
        ]
        for value in activity_names()
    ]
    assert charts["service"]["links"] == [
        [tiles.link("callback_list", due_from=a, due_to=b) for a, b in spans]
    ]
    phone = [value for value, _label in Channel.choices].index("phone")
    nov4 = days(period).index(date(2026, 11, 4))
    assert charts["cases"]["datasets"][phone]["data"][nov4] == 1
    assert manager.get(charts["cases"]["links"][phone][nov4]).context["table"].paginator.count == 1


def test_the_unbilled_ledger_filter_leaves_invoiced_work_out(desk, now):
    everything = ledger_totals(ledger_usages().filter(performed_on__lte=date(2026, 10, 31)))
    assert everything["billable"] == 10 and everything["amount"] == Decimal("29.17")


def test_an_empty_period_shows_zeros_and_dashes(desk, now, manager):
    response = manager.get(reverse("dashboard"), {"start": "2025-02-01", "end": "2025-02-28"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "01.02.2025–28.02.2025" in html and "01.01.2025–31.01.2025" in html
    assert _tile(html, "opened") == "0"
    assert _tile(html, "invoiced") == "CHF 0.00"
    assert _tile(html, "service_level") == "–" and _tile(html, "median_wait") == "–"
    assert response.context["tables"]["top"].paginator.count == 0


@pytest.mark.parametrize(
    "params, message",
    [
        ({"period": "custom", "start": "2026-11-30", "end": "2026-11-01"}, "cannot be before"),
        ({"period": "custom", "start": "2024-01-01", "end": "2026-01-01"}, "at most 366 days"),
        ({"period": "custom", "start": "2026-11-01"}, "first and the last day"),
        ({"period": "custom", "start": "1200-01-01", "end": "1200-01-31"}, "between 01.01.1990"),
        ({"period": "custom", "start": "31.02.2026", "end": "2026-03-01"}, "valid date"),
        ({"period": "fortnight"}, "valid choice"),
    ],
)
def test_a_bad_period_is_a_clear_error_and_this_month_is_shown(desk, now, manager, params, message):
    response = manager.get(reverse("dashboard"), params)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["period"] == NOVEMBER


def test_presets_and_their_previous_periods(now, manager):
    for key, shown, before in [
        ("last_month", "01.10.2026–31.10.2026", "01.09.2026–30.09.2026"),
        ("quarter", "01.10.2026–31.12.2026", "01.07.2026–30.09.2026"),
        ("year", "01.01.2026–31.12.2026", "01.01.2025–31.12.2025"),
    ]:
        html = manager.get(reverse("dashboard"), {"period": key}).content.decode()
        assert shown in html and before in html


def test_each_table_exports_to_csv(desk, now, manager):
    def exported(name: str) -> list[list[str]]:
        response = manager.get(reverse("dashboard"), {"_export": "csv", "_table": name})
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))

    assert [row[0] for row in exported("credit")[1:]] == ["20001", "20002"]
    assert [row[0] for row in exported("top")[1:]] == ["20002", "20001", "20003"]
    (overdue,) = exported("overdue")[1:]
    assert "20003 C Atelier" in overdue
    assert manager.get(reverse("dashboard"), {"_export": "csv", "_table": "x"}).status_code == 404
    assert (
        manager.get(reverse("dashboard"), {"_export": "yaml", "_table": "top"}).status_code == 404
    )


@pytest.mark.parametrize("size", ["-1", "0", "101", "1000000", "abc"])
def test_a_page_size_out_of_range_keeps_the_tables_own(desk, now, manager, size):
    """?per_page=-1 was an error page, ?per_page=1000000 an unbounded one."""
    _more_activity(12)  # 12 more customers who used their credit: 14 in all
    params = {f"{name}-per_page": size for name in ("credit", "top", "overdue")}
    response = manager.get(reverse("dashboard"), params)
    assert response.status_code == 200
    tables = response.context["tables"]
    assert (tables["credit"].paginator.count, len(tables["credit"].page.object_list)) == (14, 10)
    assert [t.paginator.per_page for t in tables.values()] == [10, 10, 10]
    listed = manager.get(reverse("callback_list"), {"per_page": size})
    assert listed.status_code == 200
    assert listed.context["table"].paginator.per_page == 50
    # A size from 1 to 100 is honoured.
    response = manager.get(reverse("dashboard"), {"credit-per_page": "5"})
    assert len(response.context["tables"]["credit"].page.object_list) == 5


# --- query budget and roles ---------------------------------------------------------------


def _more_activity(n: int) -> None:
    """n more customers, each with a case, time, a callback and a lead."""
    for i in range(n):
        customer = rental_customer(number=str(30000 + i), name=f"More {i}")
        day = date(2026, 11, 9 + i % 5)
        case = _case(customer, day, 9)
        _callback(case, (day, 9, 5), [(day, time(13), time(14))], [((day, 13, 10), "reached")])
        _log(case, day, 7 + i)
        _case(CustomerFactory(), day, 11, kind="lead")


def test_the_dashboard_runs_a_fixed_number_of_queries(desk, now, manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(**params) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert manager.get(reverse("dashboard"), params).status_code == 200
        return len(captured)

    small = queries()
    year = queries(period="year")
    empty = queries(start="2025-02-01", end="2025-02-28")
    _more_activity(30)
    n19, n23 = date(2026, 11, 19), date(2026, 11, 23)
    for i in range(3):  # more overdue callbacks, each with its windows and an attempt
        case = _case(rental_customer(number=str(31000 + i)), n19, 9)
        windows = [(n19, time(14), time(15)), (n23, time(9), time(10))]
        _callback(case, (n19, 9, 5), windows, [((n19, 14, 10), "no_answer")])
    assert Case.objects.count() > 60
    assert len(selectors.callbacks_overdue(NOW)) == 4
    assert queries() == small
    assert queries(period="year") == year == empty == small
    assert small <= 31  # incl. the activities' names for the chart


def test_anonymous_users_go_to_the_login_page(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", [Role.INFOLINE, Role.SUPPORT, Role.BILLING, None])
def test_other_roles_are_refused(client, user_with_role, role):
    client.force_login(user_with_role(role))
    assert client.get(reverse("dashboard")).status_code == 403
    assert "nav-dashboard" not in client.get(reverse("home")).content.decode()


def test_managers_and_administrators_see_it(client, user_with_role, admin_user):
    client.force_login(user_with_role(Role.MANAGER))
    assert 'data-testid="nav-dashboard"' in client.get(reverse("home")).content.decode()
    assert client.get(reverse("dashboard")).status_code == 200
    client.force_login(admin_user)
    assert client.get(reverse("dashboard")).status_code == 200


def test_the_dashboard_is_read_only(manager):
    assert manager.post(reverse("dashboard")).status_code == 405


# --- periods ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "period, previous",
    [
        (preset("month", date(2026, 3, 31)), Period(date(2026, 2, 1), date(2026, 2, 28))),
        (preset("last_month", date(2026, 1, 15)), Period(date(2025, 11, 1), date(2025, 11, 30))),
        (preset("quarter", date(2026, 2, 10)), Period(date(2025, 10, 1), date(2025, 12, 31))),
        (preset("year", date(2024, 6, 1)), Period(date(2023, 1, 1), date(2023, 12, 31))),
        # whole months compare with as many months; other ranges with as many days
        (Period(date(2026, 2, 1), date(2026, 3, 31)), Period(date(2025, 12, 1), date(2026, 1, 31))),
        (Period(date(2026, 3, 10), date(2026, 3, 19)), Period(date(2026, 2, 28), date(2026, 3, 9))),
    ],
)
def test_the_previous_period_has_the_same_length(period, previous):
    assert period.previous() == previous


@pytest.mark.postgresql
def test_postgresql_connections_run_without_the_jit_compiler():
    """JIT would add tens of milliseconds to each of the dashboard's aggregate queries."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
