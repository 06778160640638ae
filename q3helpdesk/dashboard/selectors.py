"""Reads of the manager dashboard: aggregate queries over cases, the ledger, callbacks and
invoices, each figure for the period and the one before it in the same query.

Every function runs a fixed number of queries whatever the data size; the conditions are
the ones the filtered lists use (``ledger_minutes_q``, ``callback_state_q``), so a figure
and the list behind it always agree.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Generic, TypedDict, TypeVar

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import (
    Count,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate

from billing.models import (
    CreditGrant,
    DailyCredit,
    DailyUsage,
    GrantSource,
    Invoice,
    InvoiceStatus,
    Usage,
)
from billing.rules import round_money, summed_money
from billing.selectors import LedgerMinutes, ledger_minutes_q, support_plus_capacity
from cases.models import ACTIVE_STATUSES, Callback, Case, CaseKind, DailyCases
from cases.selectors import CallbackState, callback_state_q, callbacks_for, callbacks_open
from customers.models import Customer, SupportPlusSubscription
from q3helpdesk.ui.filters import start_of_day

from .periods import Period, weeks

NEAR_END_SHARE = Decimal("0.8")  # "near the end of their credit": 80 % or more used
TOP_CUSTOMERS = 10


# A figure: a count or minutes, an amount or a percentage, a duration.
_Figure = TypeVar("_Figure", int, Decimal, timedelta)


@dataclass(frozen=True)
class Pair(Generic[_Figure]):
    """A figure of the period and of the period before."""

    value: _Figure | None
    previous: _Figure | None

    @property
    def delta(self) -> _Figure | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


def _instants(period: Period) -> tuple[datetime, datetime]:
    """The period as instants in Zurich: [first day 00:00, day after the last 00:00)."""
    return start_of_day(period.start), start_of_day(period.end + timedelta(days=1))


def _pairs(row: dict, names) -> dict[str, Pair]:
    return {name: Pair(row[name], row[f"{name}_prev"]) for name in names}


# --- KPI tiles ---------------------------------------------------------------------------


def case_figures(cur: Period, prev: Period) -> dict[str, Pair]:
    """Cases opened, rental-switch leads recorded (by opening) and cases resolved, from the
    daily roll-up: 1 query."""
    now_, before = Q(day__gte=cur.start), Q(day__lt=cur.start)
    is_case, is_lead = Q(kind=CaseKind.CASE), Q(kind=CaseKind.LEAD)
    # (The sums are named apart from the roll-up's own fields "opened" and "resolved".)
    row = DailyCases.objects.filter(day__gte=prev.start, day__lte=cur.end).aggregate(
        cases=Coalesce(Sum("opened", filter=is_case & now_), 0),
        cases_prev=Coalesce(Sum("opened", filter=is_case & before), 0),
        leads=Coalesce(Sum("opened", filter=is_lead & now_), 0),
        leads_prev=Coalesce(Sum("opened", filter=is_lead & before), 0),
        done=Coalesce(Sum("resolved", filter=is_case & now_), 0),
        done_prev=Coalesce(Sum("resolved", filter=is_case & before), 0),
    )
    return {
        "opened": Pair(row["cases"], row["cases_prev"]),
        "leads": Pair(row["leads"], row["leads_prev"]),
        "resolved": Pair(row["done"], row["done_prev"]),
    }


def minute_figures(cur: Period, prev: Period) -> dict[str, Pair]:
    """Minutes free / from credit / billable (from the daily roll-up), and the billable
    amount not invoiced yet (the ledger's amounts, net of reversals, over the few postings
    not invoiced yet): 2 queries."""
    now_, before = Q(day__gte=cur.start), Q(day__lt=cur.start)
    row = DailyUsage.objects.filter(day__gte=prev.start, day__lte=cur.end).aggregate(
        free=Coalesce(Sum("free_minutes", filter=now_), 0),
        free_prev=Coalesce(Sum("free_minutes", filter=before), 0),
        credit=Coalesce(Sum("credit_minutes", filter=now_), 0),
        credit_prev=Coalesce(Sum("credit_minutes", filter=before), 0),
        billable=Coalesce(Sum("billable_minutes", filter=now_), 0),
        billable_prev=Coalesce(Sum("billable_minutes", filter=before), 0),
    )
    now_, before = Q(performed_on__gte=cur.start), Q(performed_on__lt=cur.start)
    money: DecimalField = DecimalField(max_digits=14, decimal_places=2)
    row |= (
        Usage.objects.filter(ledger_minutes_q(LedgerMinutes.UNBILLED))
        .filter(performed_on__gte=prev.start, performed_on__lte=cur.end)
        .aggregate(
            unbilled=Coalesce(Sum("amount", filter=now_), Value(0), output_field=money),
            unbilled_prev=Coalesce(Sum("amount", filter=before), Value(0), output_field=money),
        )
    )
    row["unbilled"] = summed_money(row["unbilled"])
    row["unbilled_prev"] = summed_money(row["unbilled_prev"])
    return _pairs(row, ("free", "credit", "billable", "unbilled"))


def revenue_figures(cur: Period, prev: Period) -> dict[str, Pair]:
    """Net revenue invoiced (issued invoices and credit notes by issue date, drafts not
    counted; a cancelled invoice and its credit note add up to zero): 1 query."""
    now_, before = Q(issued_on__gte=cur.start), Q(issued_on__lt=cur.start)
    row = (
        Invoice.objects.exclude(status=InvoiceStatus.DRAFT)
        .filter(issued_on__gte=prev.start, issued_on__lte=cur.end)
        .aggregate(invoiced=Sum("net", filter=now_), invoiced_prev=Sum("net", filter=before))
    )
    return {"invoiced": Pair(summed_money(row["invoiced"]), summed_money(row["invoiced_prev"]))}


def _credit_share(period: Period) -> tuple[int, int]:
    """(customers with licence credit in the period, of them those who used some of it).

    Licence credit only: grants of rental periods (from CHF 100) with minutes, and the net
    minutes drawn from them by work of the period; Support+ credit is not this question.
    """
    used_credit = (
        DailyCredit.objects.filter(
            source=GrantSource.LICENCE, day__gte=period.start, day__lte=period.end
        )
        .values("customer")
        .annotate(drawn=Sum("minutes"))
        .filter(drawn__gt=0)
        .values("customer")
    )
    row = CreditGrant.objects.filter(
        source=GrantSource.LICENCE,
        minutes__gt=0,
        valid_from__lte=period.end,
        valid_to__gte=period.start,
    ).aggregate(
        customers=Count("customer", distinct=True),
        used=Count("customer", distinct=True, filter=Q(customer__in=used_credit)),
    )
    return row["customers"], row["used"]


@dataclass(frozen=True)
class Share:
    part: int
    whole: int

    @property
    def percent(self) -> Decimal | None:
        if not self.whole:
            return None
        return round_money(Decimal(self.part) * 100 / self.whole, Decimal("0.1"))


class CreditShareFigures(TypedDict):
    credit_share: Pair
    credit_share_parts: Share


def credit_share_figures(cur: Period, prev: Period) -> CreditShareFigures:
    """Share of the customers whose current rental licence gives credit who used some of it
    in the period (net of reversals): 2 queries."""
    shares = [Share(used, customers) for customers, used in map(_credit_share, (cur, prev))]
    return {
        "credit_share": Pair(shares[0].percent, shares[1].percent),
        "credit_share_parts": shares[0],
    }


def service_level_base_q(now: datetime) -> Q:
    """The callbacks the service level is taken over: their first window is over, or they
    were reached within it already; a cancelled one (the customer called again and was put
    through) counts neither way, and one whose first window still runs is not judged yet."""
    first = callback_state_q(CallbackState.FIRST_WINDOW, now)
    return (Q(first_window_end__lt=now) | first) & ~callback_state_q(CallbackState.CANCELLED, now)


def callback_figures(cur: Period, prev: Period, now: datetime) -> dict[str, Pair]:
    """Callbacks due (first window in the period), reached within their first window (the
    service level: of the callbacks whose first window is over), missed (every window
    passed, never reached) and the median wait from request to first attempt: 3 queries."""
    prev_from, _ = _instants(prev)
    cur_from, cur_to = _instants(cur)
    now_, before = Q(first_window_start__gte=cur_from), Q(first_window_start__lt=cur_from)
    first = callback_state_q(CallbackState.FIRST_WINDOW, now)
    missed = callback_state_q(CallbackState.MISSED, now)
    judged = service_level_base_q(now)
    row = Callback.objects.filter(
        first_window_start__gte=prev_from, first_window_start__lt=cur_to
    ).aggregate(
        due=Count("id", filter=now_),
        due_prev=Count("id", filter=before),
        judged=Count("id", filter=now_ & judged),
        judged_prev=Count("id", filter=before & judged),
        first_window=Count("id", filter=now_ & first),
        first_window_prev=Count("id", filter=before & first),
        missed=Count("id", filter=now_ & missed),
        missed_prev=Count("id", filter=before & missed),
        attempted=Count("id", filter=now_ & Q(first_attempt_at__isnull=False)),
        attempted_prev=Count("id", filter=before & Q(first_attempt_at__isnull=False)),
    )
    figures = _pairs(row, ("due", "first_window", "missed"))
    figures["service_level"] = Pair(
        Share(row["first_window"], row["judged"]).percent,
        Share(row["first_window_prev"], row["judged_prev"]).percent,
    )
    figures["median_wait"] = Pair(
        _median_wait(cur, row["attempted"]), _median_wait(prev, row["attempted_prev"])
    )
    return figures


def _median_wait(period: Period, attempted: int) -> timedelta | None:
    """The median time from request to first attempt, read in the database from the one or
    two middle rows (portable: SQLite has no percentile function). The query runs even
    without attempts, so that the page's query count never depends on the data."""
    start, end = _instants(period)
    waits = list(
        Callback.objects.filter(
            first_window_start__gte=start,
            first_window_start__lt=end,
            first_attempt_at__isnull=False,
        )
        .annotate(wait=ExpressionWrapper(F("first_attempt_at") - F("created_at"), DurationField()))
        .order_by("wait")
        .values_list("wait", flat=True)[max(attempted - 1, 0) // 2 : attempted // 2 + 1]
    )
    return sum(waits, timedelta()) / len(waits) if waits else None


def support_plus_figures(cur: Period, prev: Period, today: date) -> dict[str, Pair]:
    """Support+ subscriptions running and persons registered on each period's reference
    day: 1 query (the capacity comes from the tariff)."""
    day, day_prev = cur.reference_day(today), prev.reference_day(today)
    on, on_prev = (
        Q(start__lte=day, end__gte=day),
        Q(start__lte=day_prev, end__gte=day_prev),
    )
    row = SupportPlusSubscription.objects.filter(
        start__lte=max(day, day_prev), end__gte=min(day, day_prev)
    ).aggregate(
        active=Count("id", distinct=True, filter=on),
        active_prev=Count("id", distinct=True, filter=on_prev),
        persons=Count("registrations", filter=on),
        persons_prev=Count("registrations", filter=on_prev),
    )
    return _pairs(row, ("active", "persons"))


def support_plus_capacity_on(day: date) -> int | None:
    """The Support+ capacity of the tariff in force on ``day`` (None without a tariff)."""
    try:
        return support_plus_capacity(on=day)
    except ValidationError:
        return None


# --- charts ------------------------------------------------------------------------------


def cases_per_day(period: Period) -> dict[str, dict[date, int]]:
    """Support cases opened per day (in Zurich) and channel, from the roll-up: 1 query."""
    rows = (
        DailyCases.objects.filter(kind=CaseKind.CASE, day__gte=period.start, day__lte=period.end)
        .values("day", "channel")
        .annotate(n=Sum("opened"))
        .filter(n__gt=0)
        .order_by()
    )
    result: dict[str, dict[date, int]] = defaultdict(dict)
    for row in rows:
        result[row["channel"]][row["day"]] = row["n"]
    return result


def _week(day: date) -> date:
    return day - timedelta(days=day.weekday())


def minutes_per_week(period: Period) -> dict[str, dict[date, int]]:
    """Charged minutes per ISO week (its Monday) and activity, net of reversals, from the
    daily roll-up: 1 query."""
    rows = (
        DailyUsage.objects.filter(day__gte=period.start, day__lte=period.end)
        .values("day", "activity")
        .annotate(minutes=Sum("charged_minutes"))
        .order_by()
    )
    result: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        result[row["activity"]][_week(row["day"])] += row["minutes"]
    return result


def credit_by_variant(period: Period) -> dict[str, int]:
    """Credit minutes drawn in the period by licence variant; Support+ credit apart, from
    the daily roll-up: 1 query."""
    rows = (
        DailyCredit.objects.filter(day__gte=period.start, day__lte=period.end)
        .values("source", "variant")
        .annotate(minutes=Sum("minutes"))
        .order_by()
    )
    result: dict[str, int] = defaultdict(int)
    for row in rows:
        key = "support_plus" if row["source"] == GrantSource.SUPPORT_PLUS else row["variant"]
        result[key] += row["minutes"]
    return result


@dataclass(frozen=True)
class WeekLevel:
    week: date
    due: int
    judged: int  # first window over (or reached in it), not cancelled
    first_window: int

    @property
    def percent(self) -> Decimal | None:
        return Share(self.first_window, self.judged).percent


def service_level_per_week(period: Period, now: datetime) -> list[WeekLevel]:
    """Per ISO week of the first window: callbacks due, judged (see
    :func:`service_level_base_q`) and reached within their first window: 1 query."""
    start, end = _instants(period)
    rows = (
        Callback.objects.filter(first_window_start__gte=start, first_window_start__lt=end)
        .annotate(day=TruncDate("first_window_start"))
        .values("day")
        .annotate(
            due=Count("id"),
            judged=Count("id", filter=service_level_base_q(now)),
            first=Count("id", filter=callback_state_q(CallbackState.FIRST_WINDOW, now)),
        )
        .order_by()
    )
    counts: dict[date, Counter] = defaultdict(Counter)
    for row in rows:
        counts[_week(row["day"])].update({key: row[key] for key in ("due", "judged", "first")})
    return [
        WeekLevel(week, counts[week]["due"], counts[week]["judged"], counts[week]["first"])
        for week in weeks(period)
    ]


class _CustomerField(Subquery):
    """A field of the row's customer, read after grouping by ``customer_id`` alone.

    Grouping by the customer's number and name instead joins every row to its customer
    before summing (a year of roll-up rows: 64 000 rows through the join). The field
    depends on the grouped ``customer_id`` only, so it adds nothing to the GROUP BY,
    whichever ``annotate`` it comes in."""

    def __init__(self, name: str) -> None:
        customer = Customer.objects.filter(pk=OuterRef("customer_id")).order_by()
        super().__init__(customer.values(name))

    def get_group_by_cols(self) -> list:
        return []


def top_customers(period: Period, limit: int = TOP_CUSTOMERS) -> list[dict]:
    """The customers with the most charged minutes in the period (``number``, ``name``,
    ``charged``, ``credit``, ``billable``), from the daily roll-up: 1 query."""
    return list(
        DailyUsage.objects.filter(day__gte=period.start, day__lte=period.end)
        .values("customer_id")
        .annotate(
            charged=Sum("charged_minutes"),
            credit=Sum("credit_minutes"),
            billable=Sum("billable_minutes"),
        )
        .filter(charged__gt=0)
        .annotate(number=_CustomerField("number"), name=_CustomerField("name"))
        .order_by("-charged", "number")[:limit]
    )


# --- lists -------------------------------------------------------------------------------


def customers_near_end_of_credit(today: date) -> QuerySet:
    """Customers who used 80 % or more of the credit valid today, the least left first.

    One row per customer (``number``, ``name``, ``phone``, ``granted``, ``used``,
    ``remaining``, ``valid_to``), grouped over the grants valid today and their
    ``used_minutes`` (kept by the ledger services), not over every draw of those grants.
    """
    part, whole = NEAR_END_SHARE.as_integer_ratio()  # 4/5: compared in integers
    return (
        CreditGrant.objects.filter(valid_from__lte=today, valid_to__gte=today)
        .values("customer_id")
        .annotate(granted=Sum("minutes"), used=Sum("used_minutes"), valid_to=Max("valid_to"))
        .annotate(
            number=_CustomerField("number"),
            name=_CustomerField("name"),
            phone=_CustomerField("phone"),
            remaining=F("granted") - F("used"),
        )
        .alias(used_scaled=F("used") * whole)
        .filter(granted__gt=0, used_scaled__gte=F("granted") * part)
        .order_by("remaining", "number")
    )


def callbacks_overdue(now: datetime) -> QuerySet[Callback]:
    """Open callbacks whose first window passed without reaching the customer while a later
    window still runs: the desk can still make them. Support+ first, the oldest first."""
    return (
        callbacks_open()  # with their windows and attempts, as the table shows them
        .filter(callback_state_q(CallbackState.OVERDUE, now))
        .order_by("-support_plus", "first_window_end", "id")
    )


# --- the home page: the desk's own work --------------------------------------------------

HOME_ROWS = 8  # rows per list on the home page; "all" links lead to the full lists


@dataclass(frozen=True)
class DeskWork:
    """What the home page shows a desk member first: their open cases and their callbacks."""

    cases: list[Case]
    more_cases: bool
    callbacks: list[Callback]
    more_callbacks: bool


def desk_work(*, user: User, now: datetime, rows: int = HOME_ROWS) -> DeskWork:
    """The open cases assigned to ``user`` (open or waiting for the customer; Support+
    first, then the newest) and the callbacks of their work (claimed by them, or claimed
    by nobody and due now, see ``cases.selectors.callbacks_for``): 4 queries."""
    cases = list(
        Case.objects.filter(assignee=user, status__in=ACTIVE_STATUSES)
        .select_related("customer", "contact")
        .order_by("-support_plus", "-created_at", "-id")[: rows + 1]
    )
    calls = list(callbacks_for(user=user, now=now)[: rows + 1])
    return DeskWork(cases[:rows], len(cases) > rows, calls[:rows], len(calls) > rows)
