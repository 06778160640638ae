"""What the dashboard shows: tiles with the link to the list behind each figure, and the
charts' data (server-side numbers; Chart.js only draws them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from billing.models import GrantSource
from billing.selectors import activity_names
from cases.models import CaseKind, Channel
from cases.selectors import CallbackState
from customers.models import LicenceVariant

from . import selectors
from .periods import Period, days, weeks
from .selectors import Pair


def link(name: str, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"{reverse(name)}?{query}" if query else reverse(name)


def _iso(day: date) -> str:
    return day.isoformat()


def span_links(name: str, field: str, **params) -> Callable[[date, date], str]:
    """``link(name, **params, <field>_from=start, <field>_to=end)`` for many spans of days.

    A chart has a link per bar and series (a year: 365 days × 4 channels); reversing the
    URL and encoding the fixed parameters once per series instead of once per bar saves
    some 30 ms on the year. ISO dates need no quoting, so the result is ``link``'s own.
    """
    base = link(name, **params)
    joiner = "&" if "?" in base else "?"

    def span(start: date, end: date) -> str:
        return f"{base}{joiner}{field}_from={start.isoformat()}&{field}_to={end.isoformat()}"

    return span


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    pair: Pair
    kind: str = "count"  # count, minutes, chf, percent, duration
    url: str = ""
    previous_url: str = ""
    more_is_better: bool | None = True  # colours the change; None: neutral
    note: str = ""
    compare: bool = True  # a state of today has no previous value

    @property
    def trend(self) -> str:
        delta = self.pair.delta
        if not self.compare or delta is None or delta == timedelta() or delta == 0:
            return "same"
        up = delta > timedelta() if isinstance(delta, timedelta) else delta > 0
        if self.more_is_better is None:
            return "up" if up else "down"
        return "good" if up == self.more_is_better else "bad"

    @property
    def up(self) -> bool:
        delta = self.pair.delta
        if not delta:
            return False
        return delta > timedelta() if isinstance(delta, timedelta) else delta > 0


def _case_links(period: Period, **params) -> str:
    return link("case_list", created_from=_iso(period.start), created_to=_iso(period.end), **params)


def _resolved_links(period: Period) -> str:
    return link(
        "case_list", resolved_from=_iso(period.start), resolved_to=_iso(period.end), kind="case"
    )


def _ledger(period: Period, **params) -> str:
    return link(
        "billing:ledger",
        performed_from=_iso(period.start),
        performed_to=_iso(period.end),
        **params,
    )


def _callbacks(period: Period, **params) -> str:
    return link("callback_list", due_from=_iso(period.start), due_to=_iso(period.end), **params)


def tiles(cur: Period, prev: Period, *, today: date, now: datetime, overdue: int) -> list[Tile]:
    """The KPI tiles, each with its figure for the period and the one before (13 queries)."""
    cases = selectors.case_figures(cur, prev)
    minutes = selectors.minute_figures(cur, prev)
    revenue = selectors.revenue_figures(cur, prev)
    share = selectors.credit_share_figures(cur, prev)
    calls = selectors.callback_figures(cur, prev, now)
    plus = selectors.support_plus_figures(cur, prev, today)
    capacity = selectors.support_plus_capacity_on(cur.reference_day(today))
    parts = share["credit_share_parts"]
    day = cur.reference_day(today)

    def both(make, *args, **params) -> dict:
        return {"url": make(cur, *args, **params), "previous_url": make(prev, *args, **params)}

    return [
        Tile("opened", _("Cases opened"), cases["opened"], **both(_case_links, kind="case")),
        Tile(
            "resolved",
            _("Cases resolved"),
            cases["resolved"],
            **both(_resolved_links),
            note=_("a case closed without being resolved does not count"),
        ),
        Tile(
            "free",
            _("Free minutes"),
            minutes["free"],
            "minutes",
            more_is_better=None,
            **both(_ledger, minutes="free"),
        ),
        Tile(
            "credit",
            _("Minutes from credit"),
            minutes["credit"],
            "minutes",
            more_is_better=None,
            **both(_ledger, minutes="credit"),
        ),
        Tile(
            "billable",
            _("Billable minutes"),
            minutes["billable"],
            "minutes",
            **both(_ledger, minutes="billable"),
        ),
        Tile(
            "invoiced",
            _("Revenue invoiced (net)"),
            revenue["invoiced"],
            "chf",
            url=link("billing:invoices", issued_from=_iso(cur.start), issued_to=_iso(cur.end)),
            previous_url=link(
                "billing:invoices", issued_from=_iso(prev.start), issued_to=_iso(prev.end)
            ),
            note=_("by issue date, credit notes deducted"),
        ),
        Tile(
            "unbilled",
            _("Billable, not invoiced yet"),
            minutes["unbilled"],
            "chf",
            more_is_better=None,
            **both(_ledger, minutes="unbilled"),
            note=_("work of the period, ledger amounts"),
        ),
        Tile(
            "credit_share",
            _("Customers who used their credit"),
            share["credit_share"],
            "percent",
            **both(_ledger, minutes="credit"),
            note=_("%(used)s of %(all)s customers with licence credit")
            % {"used": parts.part, "all": parts.whole},
        ),
        Tile("due", _("Callbacks due"), calls["due"], more_is_better=None, **both(_callbacks)),
        Tile(
            "service_level",
            _("Reached within the first window"),
            calls["service_level"],
            "percent",
            **both(_callbacks, state=CallbackState.FIRST_WINDOW),
            note=_("of the callbacks whose first window is over, cancelled ones aside"),
        ),
        Tile(
            "missed",
            _("Callbacks missed"),
            calls["missed"],
            more_is_better=False,
            **both(_callbacks, state=CallbackState.MISSED),
        ),
        Tile(
            "median_wait",
            _("Median wait for the first attempt"),
            calls["median_wait"],
            "duration",
            more_is_better=False,
            **both(_callbacks),
            note=_("from the request to the first call"),
        ),
        Tile(
            "overdue",
            _("Callbacks overdue now"),
            Pair(overdue, None),
            more_is_better=False,
            url=link("callback_list", state=CallbackState.OVERDUE),
            compare=False,
            note=_("first window passed, a later one still open"),
        ),
        Tile(
            "support_plus",
            _("Support+ subscriptions"),
            plus["active"],
            url=link("billing:grants", source=GrantSource.SUPPORT_PLUS, valid_on=_iso(day)),
            previous_url=link(
                "billing:grants",
                source=GrantSource.SUPPORT_PLUS,
                valid_on=_iso(prev.reference_day(today)),
            ),
            note=_("of %(capacity)s places, on %(day)s")
            % {"capacity": capacity if capacity is not None else "–", "day": f"{day:%d.%m.%Y}"},
        ),
        Tile(
            "persons",
            _("Support+ registered persons"),
            plus["persons"],
            url=link("billing:grants", source=GrantSource.SUPPORT_PLUS, valid_on=_iso(day)),
            previous_url=link(
                "billing:grants",
                source=GrantSource.SUPPORT_PLUS,
                valid_on=_iso(prev.reference_day(today)),
            ),
            note=_("the list shows their subscriptions"),
        ),
        Tile(
            "leads",
            _("Rental-switch leads"),
            cases["leads"],
            **both(_case_links, kind=CaseKind.LEAD),
        ),
    ]


def _short(day: date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


def charts(period: Period, *, now: datetime, top: list[dict]) -> dict:
    """The data of the five charts, with the list each bar leads to (7 queries)."""
    day_list = days(period)
    week_list = weeks(period)

    per_day = selectors.cases_per_day(period)
    day_links = [
        span_links("case_list", "created", kind=CaseKind.CASE, channel=value)
        for value, _label in Channel.choices
    ]
    cases = {
        "labels": [_short(d) for d in day_list],
        "datasets": [
            {"label": str(label), "data": [per_day.get(value, {}).get(d, 0) for d in day_list]}
            for value, label in Channel.choices
        ],
        "links": [[day_link(d, d) for d in day_list] for day_link in day_links],
    }

    def week_span(monday: date) -> tuple[date, date]:
        return max(monday, period.start), min(monday + timedelta(days=6), period.end)

    spans = [week_span(w) for w in week_list]

    per_week = selectors.minutes_per_week(period)
    activities = activity_names()
    week_links = [span_links("billing:ledger", "performed", activity=value) for value in activities]
    minutes = {
        "labels": [_short(max(w, period.start)) for w in week_list],
        "datasets": [
            {"label": str(label), "data": [per_week.get(value, {}).get(w, 0) for w in week_list]}
            for value, label in activities.items()
        ],
        "links": [[week_link(*span) for span in spans] for week_link in week_links],
    }

    by_variant = selectors.credit_by_variant(period)
    variants = [*LicenceVariant.choices, (GrantSource.SUPPORT_PLUS, _("Support+"))]
    credit = {
        "labels": [str(label) for _value, label in variants],
        "datasets": [
            {
                "label": _("Minutes from credit"),
                "data": [by_variant.get(value, 0) for value, _label in variants],
            }
        ],
        "links": [
            [_ledger(period, minutes="credit", credit_from=value) for value, _label in variants]
        ],
    }

    levels = selectors.service_level_per_week(period, now)
    due_link = span_links("callback_list", "due")
    service = {
        "labels": [_short(max(level.week, period.start)) for level in levels],
        "datasets": [
            {
                "label": _("Reached within the first window (%)"),
                "data": [
                    float(level.percent) if level.percent is not None else None for level in levels
                ],
                "due": [level.due for level in levels],
            }
        ],
        "links": [[due_link(*week_span(level.week)) for level in levels]],
    }

    top_chart = {
        "labels": [f"{row['number']} {row['name']}" for row in top],
        "datasets": [
            {"label": _("From credit"), "data": [row["credit"] for row in top]},
            {"label": _("Billable"), "data": [row["billable"] for row in top]},
            {
                "label": _("Free"),
                "data": [row["charged"] - row["credit"] - row["billable"] for row in top],
            },
        ],
        "links": [[reverse("customer_detail", kwargs={"number": row["number"]}) for row in top]]
        * 3,
    }
    return {
        "cases": cases,
        "minutes": minutes,
        "credit": credit,
        "service": service,
        "top": top_chart,
        "axis": {"minutes": _("minutes"), "cases": _("cases"), "percent": "%"},
    }
