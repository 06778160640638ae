"""Reads of the desk: caller lookup, the customer page, case lists."""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import reduce
from typing import TypedDict

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import connection, models
from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import escape, format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from billing.models import Tariff, Usage
from billing.rules import summed_money
from billing.selectors import CreditBalance, CreditBucket, credit_balance, credit_history
from customers.models import Contact, Customer
from customers.selectors import LookupResult as LookupResult
from customers.selectors import SupportStatus, customer_lookup, support_status
from customers.selectors import normalise_phone as normalise_phone
from q3helpdesk.guards import service

from . import search
from .models import (
    ACTIVE_STATUSES,
    URGENT,
    Callback,
    CallbackAttempt,
    CallbackStatus,
    Case,
    CaseEventKind,
    InboundEmail,
    InboundStatus,
    SupportEmail,
    TimeEntry,
)

# The caller lookup lives with the customers (it searches customers and contacts); the desk
# imports it from here as it always has.
lookup = customer_lookup


# --- cases with their cost -------------------------------------------------------------


def case_costs(cases) -> dict[str, dict]:
    """Charged, credit and billable minutes and amount per case reference, in one query."""
    refs = [case.reference for case in cases]
    if not refs:
        return {}
    customer_ids = {case.customer_id for case in cases}
    rows = (
        Usage.objects.filter(customer_id__in=customer_ids, work_ref__in=refs)
        .values("work_ref")
        .annotate(
            charged=Coalesce(Sum("charged_minutes"), 0),
            credit=Coalesce(Sum("credit_minutes"), 0),
            billable=Coalesce(Sum("billable_minutes"), 0),
            amount=Sum("amount"),
        )
    )
    return {row["work_ref"]: {**row, "amount": summed_money(row["amount"])} for row in rows}


def cases_for_list() -> QuerySet[Case]:
    return Case.objects.select_related("customer", "contact", "assignee")


# --- the case list: working view and text search -----------------------------------------


def cases_in_list_order(cases: QuerySet[Case], *, active_only: bool = False) -> QuerySet[Case]:
    """Urgent first (Support+ and still open or waiting), then newest.

    Among open and waiting cases urgent is Support+: the partial index ``case_active_idx``
    serves that order; over every status ``case_urgent_idx`` serves the expression.
    """
    if active_only:
        return cases.order_by("-support_plus", "-created_at")
    return cases.order_by(URGENT.desc(), F("created_at").desc())


SEARCH_WORDS = re.compile(r"\w+")
MAX_SEARCH_WORDS = 8


def case_search(cases: QuerySet[Case], *, q: str) -> QuerySet[Case]:
    """The cases whose texts match ``q``, best match first, then urgent, then newest.

    Searched: subject, description, internal notes, time-entry notes, the subjects and
    texts of the case's e-mails (``CaseSearch``, see ``cases.search``). PostgreSQL: full
    text search in the case's language (stemmed, accents ignored; quotes for a phrase,
    ``-word`` to exclude), ranked by where the words stand (subject, description, notes,
    e-mails); the rows carry ``hl_*`` texts with the words marked. SQLite: every word
    anywhere (``LIKE``), ranked by the best place each word is found.
    """
    q = (q or "").strip()[:200]
    if connection.vendor == "postgresql":
        return _case_search_postgresql(cases, q)
    words = SEARCH_WORDS.findall(q)[:MAX_SEARCH_WORDS]
    if not words:
        return cases.none()
    columns = [f"search_texts__{column}" for column, _weight in search.WEIGHTS]
    for word in words:
        cases = cases.filter(
            reduce(operator.or_, (Q(**{f"{col}__icontains": word}) for col in columns))
        )
    best_place = [
        models.Case(
            *(
                models.When(Q(**{f"{col}__icontains": word}), then=Value(points))
                for col, points in zip(columns, (8, 4, 2, 1), strict=True)
            ),
            default=Value(0),
        )
        for word in words
    ]
    return (
        cases.select_related("search_texts")
        .annotate(rank=reduce(operator.add, best_place), search_q=Value(" ".join(words)))
        .order_by("-rank", URGENT.desc(), F("created_at").desc())
    )


class _Marks(TypedDict):
    """How ``ts_headline`` (``SearchHeadline``) marks the matching words."""

    start_sel: str
    stop_sel: str


class _Excerpt(_Marks):
    """The marks, and how long an excerpt of a longer text is."""

    max_words: int
    min_words: int
    max_fragments: int
    short_word: int


def _case_search_postgresql(cases: QuerySet[Case], q: str) -> QuerySet[Case]:
    from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank

    if not SEARCH_WORDS.search(q):
        return cases.none()
    # One condition per language with a constant query, so the GIN index serves each.
    found = reduce(
        operator.or_,
        (
            Q(
                search_texts__config=config,
                search_texts__vector=SearchQuery(q, config=config, search_type="websearch"),
            )
            for config in sorted(set(search.CONFIGS.values()))
        ),
    )
    config = F("search_texts__config")
    query = SearchQuery(q, config=config, search_type="websearch")
    marks: _Marks = {"start_sel": search.START, "stop_sel": search.STOP}
    excerpt: _Excerpt = {
        **marks,
        "max_words": 18,
        "min_words": 6,
        "max_fragments": 1,
        "short_word": 2,
    }
    return (
        cases.filter(found)
        .annotate(
            rank=SearchRank(F("search_texts__vector"), query),
            hl_subject=SearchHeadline(
                "search_texts__subject", query, config=config, highlight_all=True, **marks
            ),
            **{
                f"hl_{column}": SearchHeadline(
                    # django-stubs types short_word as text; PostgreSQL's ShortWord is a number.
                    f"search_texts__{column}",
                    query,
                    config=config,
                    **excerpt,  # type: ignore[arg-type]
                )
                for column in ("description", "notes", "emails")
            },
        )
        .order_by("-rank", URGENT.desc(), F("created_at").desc())
    )


@dataclass(frozen=True)
class SearchSnippet:
    """What the case list shows of a match: the subject and where else the words stand."""

    subject: str  # safe HTML: escaped, the words in <mark>
    place: str  # "description", "notes", "emails" or ""
    excerpt: str  # safe HTML


SNIPPET_PLACES = ("description", "notes", "emails")


def search_snippet(case: Case) -> SearchSnippet | None:
    """The highlighted subject and the best other text of a case found by
    :func:`case_search`; None for a case not found by a text search.

    Every character of the case's texts is escaped; only the marks are HTML.
    """
    if hasattr(case, "hl_subject"):  # PostgreSQL: ts_headline marked the words
        subject = _marked(case.hl_subject) or escape(case.subject)
        for place in SNIPPET_PLACES:
            text = getattr(case, f"hl_{place}") or ""
            if search.START in text:
                return SearchSnippet(subject, place, _marked(text))
        return SearchSnippet(subject, "", "")
    words = getattr(case, "search_q", "")
    if not words:
        return None
    pattern = re.compile("|".join(re.escape(w) for w in words.split()), re.IGNORECASE)
    texts = case.search_texts
    subject = _highlight(case.subject, pattern)
    for place in SNIPPET_PLACES:
        text = getattr(texts, place)
        found = pattern.search(text)
        if found:
            start = max(0, text.rfind(" ", 0, max(0, found.start() - 60)) + 1)
            end = text.find(" ", found.end() + 90)
            end = len(text) if end < 0 else end
            excerpt = _highlight(text[start:end], pattern)
            dots = ("… " if start else "", " …" if end < len(text) else "")
            return SearchSnippet(subject, place, format_html("{}{}{}", dots[0], excerpt, dots[1]))
    return SearchSnippet(subject, "", "")


def _marked(headline: str) -> str:
    """ts_headline's text, escaped, its marks turned into <mark> (the marks are never in
    the stored texts, see ``cases.search``)."""
    first, *marked = " ".join((headline or "").split()).split(search.START)
    pairs = (part.partition(search.STOP)[::2] for part in marked)
    return format_html("{}{}", first, format_html_join("", "<mark>{}</mark>{}", pairs))


def _highlight(text: str, pattern: re.Pattern) -> str:
    text = " ".join(text.split())
    pairs, last = [], 0
    for found in pattern.finditer(text):
        pairs.append((text[last : found.start()], found.group()))
        last = found.end()
    return format_html("{}{}", format_html_join("", "{}<mark>{}</mark>", pairs), text[last:])


@dataclass(frozen=True)
class CustomerPage:
    customer: Customer
    status: SupportStatus
    credit: CreditBalance
    credit_history: list[CreditBucket]
    contacts: list[Contact]
    open_cases: list[Case]
    recent_cases: list[Case]
    costs: dict[str, dict]
    open_callbacks: list[Callback]
    emails: list[TimelineItem]


def customer_page(*, customer: Customer, on: date, recent: int = 10) -> CustomerPage:
    """Everything the customer page shows, in a fixed number of queries."""
    cases = cases_for_list().filter(customer=customer)
    open_cases = list(cases.filter(status__in=ACTIVE_STATUSES)[:50])
    recent_cases = list(cases.exclude(status__in=ACTIVE_STATUSES).order_by("-created_at")[:recent])
    return CustomerPage(
        customer=customer,
        status=support_status(customer=customer, on=on),
        credit=credit_balance(customer=customer, on=on),
        credit_history=credit_history(customer=customer, before=on),
        contacts=list(customer.contacts.order_by("name")),
        open_cases=open_cases,
        recent_cases=recent_cases,
        costs=case_costs(open_cases + recent_cases),
        open_callbacks=list(
            Callback.objects.filter(case__customer=customer, status=CallbackStatus.OPEN)
            .select_related("case")
            .order_by("first_window_start")[:20]
        ),
        emails=customer_emails(customer=customer, last=recent),
    )


def customer_emails(*, customer: Customer, last: int = 10) -> list[TimelineItem]:
    """The customer's last e-mails, incoming and outgoing, newest first (two queries)."""
    incoming = InboundEmail.objects.filter(customer=customer).select_related("case")[:last]
    outgoing = (
        SupportEmail.objects.filter(case__customer=customer)
        .select_related("case")
        .order_by("-created_at", "-id")[:last]
    )
    items = [TimelineItem("inbound", email.received_at, email) for email in incoming]
    items += [TimelineItem("outgoing", email.created_at, email) for email in outgoing]
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:last]


# --- the inbox ------------------------------------------------------------------------------

WAITING = (InboundStatus.INBOX, InboundStatus.UNREADABLE)


def inbox_messages() -> QuerySet[InboundEmail]:
    """Messages no case holds yet: unknown senders and unreadable messages, newest first."""
    return (
        InboundEmail.objects.filter(status__in=WAITING)
        .annotate(attachment_count=Count("attachments"))
        .order_by("-received_at", "-id")
    )


def inbox_waiting_count() -> int:
    """How many messages wait in the inbox (the navigation's badge): one COUNT query."""
    return InboundEmail.objects.filter(status__in=WAITING).count()


# --- the case as one conversation ---------------------------------------------------------


@dataclass(frozen=True)
class TimelineItem:
    """One line of a case's timeline: what happened (``kind``), when, and the row itself.

    Kinds: ``inbound`` (InboundEmail), ``outgoing`` (SupportEmail), ``note`` (CaseNote),
    ``time`` (TimeEntry), ``callback`` (Callback), ``attempt`` (CallbackAttempt),
    ``event`` (CaseEvent), ``follows`` and ``followed_by`` (Case).
    """

    kind: str
    at: datetime
    obj: object


def case_timeline(case: Case, *, entries: list[TimeEntry] | None = None) -> list[TimelineItem]:
    """Everything that happened on ``case``, oldest first, in a fixed number of queries.

    ``entries`` are the case's time entries when the caller has them already (the case
    page lists them in its time card), with ``created_by`` and ``removed_by`` selected.
    """
    items: list[TimelineItem] = []
    for inbound in case.inbound_emails.prefetch_related("attachments"):
        items.append(TimelineItem("inbound", inbound.received_at, inbound))
    for sent in case.emails.select_related("created_by").prefetch_related("attachments"):
        items.append(TimelineItem("outgoing", sent.created_at, sent))
    for note in case.notes.select_related("created_by"):
        items.append(TimelineItem("note", note.created_at, note))
    if entries is None:
        entries = list(case.time_entries.select_related("created_by", "removed_by"))
    for entry in entries:
        items.append(TimelineItem("time", entry.created_at, entry))
    callbacks = case.callbacks.select_related("created_by", "claimed_by").prefetch_related(
        Prefetch("attempts", queryset=CallbackAttempt.objects.select_related("by")),
        "windows",
    )
    for callback in callbacks:
        items.append(TimelineItem("callback", callback.created_at, callback))
        for attempt in callback.attempts.all():
            items.append(TimelineItem("attempt", attempt.at, attempt))
    # A follow-up is shown from the case it points to (a link), not from its event text.
    for event in case.events.exclude(kind=CaseEventKind.FOLLOW_UP).select_related("by"):
        items.append(TimelineItem("event", event.at, event))
    if case.follows_id is not None:
        items.append(TimelineItem("follows", case.created_at, case.follows))
    for later in case.followed_by.only("pk", "subject", "created_at"):
        items.append(TimelineItem("followed_by", later.created_at, later))
    # The case's own start comes first at equal instants; then what happened on it.
    order = {"follows": 0}
    items.sort(key=lambda item: (item.at, order.get(item.kind, 1)))
    return items


# --- callbacks and the desk's users ------------------------------------------------------
# The conditions of a callback's state are shared by the queue, the list's filter and the
# dashboard, so that a figure and the list behind it always count the same rows.


def desk_users(request=None):
    """Active users who may work cases (desk roles, administrators)."""
    perm = Q(
        groups__permissions__content_type__app_label="cases",
        groups__permissions__codename="change_case",
    ) | Q(is_superuser=True)
    return get_user_model().objects.filter(perm, is_active=True).distinct().order_by("username")


class CallbackState(models.TextChoices):
    """What became of a callback, as the dashboard counts it (derived from the clock)."""

    WAITING = "waiting", _("Waiting (a window is still to come)")
    OVERDUE = "overdue", _("Overdue (first window passed, not reached yet)")
    MISSED = "missed", _("Missed (every window passed)")
    EXPIRED = "expired", _("Missed long ago (out of the queue)")
    FIRST_WINDOW = "first_window", _("Reached within the first window")
    REACHED = "reached", _("Reached")
    CANCELLED = "cancelled", _("Cancelled")


def callback_expired_q(now) -> Q:
    """An open callback whose last window ended more than the tariff's
    ``callback_expiry_days`` before ``now``: it has left the queue and the navigation count.

    The days are read from the tariff in force inside the same query (a subquery), so no
    job marks anything and no page runs one query more for it.
    """
    days = Subquery(
        Tariff.objects.filter(valid_from__lte=timezone.localdate(now))
        .order_by("-valid_from")
        .values("callback_expiry_days")[:1]
    )
    default = Tariff._meta.get_field("callback_expiry_days").default
    span = ExpressionWrapper(
        Coalesce(days, default, output_field=IntegerField()) * Value(timedelta(days=1)),
        output_field=DurationField(),
    )
    limit = ExpressionWrapper(Value(now) - span, output_field=DateTimeField())
    return Q(status=CallbackStatus.OPEN, last_window_end__lt=limit)


def callback_state_q(state: str, now) -> Q:
    """The condition of a callback state at ``now`` (the dashboard counts with the same).

    ``expired`` is a part of ``missed``: a missed callback stays in the queue page (to call
    late or to cancel) for the tariff's ``callback_expiry_days``, then only here.
    """
    open_ = Q(status=CallbackStatus.OPEN)
    if state == CallbackState.EXPIRED:
        return callback_expired_q(now)
    queries: dict[str, Q] = {
        CallbackState.WAITING: open_ & Q(first_window_end__gte=now),
        CallbackState.OVERDUE: open_ & Q(first_window_end__lt=now, last_window_end__gte=now),
        CallbackState.MISSED: open_ & Q(last_window_end__lt=now),
        CallbackState.FIRST_WINDOW: Q(status=CallbackStatus.DONE)
        & Q(closed_at__lte=F("first_window_end")),
        CallbackState.REACHED: Q(status=CallbackStatus.DONE),
        CallbackState.CANCELLED: Q(status=CallbackStatus.CANCELLED),
    }
    return queries[state]


def callbacks_open() -> QuerySet[Callback]:
    """Open callbacks, Support+ first, then by their earliest window (R7, R11), with their
    windows and attempts (who tried, with what outcome and note)."""
    return (
        Callback.objects.filter(status=CallbackStatus.OPEN)
        .select_related("case__customer", "claimed_by")
        .prefetch_related(
            "windows",
            Prefetch("attempts", queryset=CallbackAttempt.objects.select_related("by")),
        )
        .order_by("-support_plus", "first_window_start", "id")
    )


def callbacks_waiting(now: datetime) -> QuerySet[Callback]:
    """Open callbacks with a window still to come or running."""
    return callbacks_open().filter(last_window_end__gte=now)


def callbacks_missed(now: datetime) -> QuerySet[Callback]:
    """Open callbacks whose every window has passed without reaching the customer, for the
    tariff's ``callback_expiry_days`` (still to call late, or to cancel); later they have
    left the queue (the state ``expired`` of the list of all callbacks)."""
    return (
        callbacks_open()
        .filter(callback_state_q(CallbackState.MISSED, now))
        .exclude(callback_expired_q(now))
    )


def callbacks_due_q(now: datetime) -> Q:
    """Due now: open, a window has started (the first one), and not expired — waiting in a
    running window, overdue, or missed in the last ``callback_expiry_days``."""
    return Q(status=CallbackStatus.OPEN, first_window_start__lte=now) & ~callback_expired_q(now)


def callbacks_due_count(now: datetime) -> int:
    """How many callbacks are due now (the navigation's badge): one COUNT query."""
    return Callback.objects.filter(callbacks_due_q(now)).count()


@service
def callbacks_for(*, user: User, now: datetime) -> QuerySet[Callback]:
    """The callbacks of ``user``'s work: open and not expired, claimed by them (whenever the
    window), or claimed by nobody and due now. Support+ first, then by the first window."""
    mine = Q(claimed_by=user) & ~callback_expired_q(now)
    free = Q(claimed_by__isnull=True) & callbacks_due_q(now)
    return callbacks_open().filter(mine | free)
