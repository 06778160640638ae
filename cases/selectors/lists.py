"""Case lists: cases with their cost, the working order and the text search."""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from functools import reduce
from typing import TypedDict

from django.db import connection, models
from django.db.models import (
    F,
    Func,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact
from django.utils.html import escape, format_html, format_html_join

from billing.models import Usage
from billing.rules import summed_money
from q3helpdesk.ui.pages import ids_first

from .. import search
from ..models import (
    URGENT,
    Case,
)

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
# As the list: urgent, newest (the last opened of cases opened at the same instant, so that
# the pages of a search never share or skip a case). The search row's copies of the case's
# URGENT and created_at (``CaseSearch``): the matches are sorted and cut to a page on the
# search rows alone (``ids_first``), in the order of ``casesearch_order_idx``.
NEWEST_ORDER = (
    F("search_texts__urgent").desc(),
    F("search_texts__created_at").desc(),
    F("search_texts__case_id").desc(),
)
# Best match first, then as the list.
SEARCH_ORDER = (F("rank").desc(), *NEWEST_ORDER)
# Matches ranked at most: a search that finds more lists them urgent and newest first.
# Ranking reads every match (a frequent word: thousands, and three times as many when the
# desk is three times as old); this order reads the index from its start, fifty rows for a
# page. Nobody reads a thousand matches by rank: the list asks for another word instead.
RANKED_MATCHES = 1000


# A page of a text search is read as "the cases of the page, among the matches"
# (``q3helpdesk.ui.pages.ids_first``: ``WHERE id IN (SELECT id … ORDER BY … LIMIT 50 …)``).
# Asked for in one statement, both databases join every match to its case, customer,
# contact and assignee before they sort and cut (PostgreSQL sorts first only in a parallel
# plan): at 100 000 cases a frequent word joined 7 000 matches for 50 rows. The subquery
# sorts the matches on the search rows (``SEARCH_ORDER``: the rank and the row's copies of
# the case's order; ``NEWEST_ORDER`` for a word too frequent to rank) and takes the page's
# ids; only those 50 are joined and highlighted. The matches are counted once, up to the
# bound (``case_search_in_order``); the export (not sliced) reads as before.


@dataclass(frozen=True)
class SearchMatches:
    """How many cases a text search finds, counted up to ``bound`` (``RANKED_MATCHES``)
    and one more."""

    counted: int
    bound: int

    @property
    def ranked(self) -> bool:
        """Best match first (few matches), or urgent and newest first (too many)."""
        return self.counted <= self.bound


def case_search_in_order(cases: QuerySet[Case]) -> tuple[QuerySet[Case], SearchMatches]:
    """The matches of a text search (:func:`case_search`, every other filter of the list
    applied) in their order: best match first when at most ``RANKED_MATCHES`` cases match,
    else urgent and newest first (``NEWEST_ORDER``). One bounded count decides; the list's
    paginator takes it as its own (``q3helpdesk.ui.pages.BoundedPaginator``'s ``counted``)."""
    bound = RANKED_MATCHES
    matches = SearchMatches(cases.order_by().values("pk")[: bound + 1].count(), bound)
    if matches.ranked:
        return cases, matches
    return cases.order_by(*NEWEST_ORDER), matches


def case_search(cases: QuerySet[Case], *, q: str) -> QuerySet[Case]:
    """The cases whose texts match ``q``, best match first, then urgent, then newest
    (``SEARCH_ORDER``; :func:`case_search_in_order` lists a frequent word's matches
    without the rank).

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
    for word in words:
        # SQLite takes a condition it cannot read from an index for one that nearly every
        # row meets, and reads the 100 000 cases one by one, each with its search row; told
        # that a word is rare, it reads the search rows (the only place of the words) first
        # and each match's case by its key: half the time.
        found = reduce(operator.or_, (Q(**{f"{col}__icontains": word}) for col in columns))
        cases = cases.filter(_Rare(found))
    return ids_first(
        cases.select_related("search_texts")
        .annotate(rank=reduce(operator.add, best_place), search_q=Value(" ".join(words)))
        # Last: the conditions above read the search row as optional (a LEFT JOIN, which
        # SQLite reads case first); this one says it is there.
        .filter(search_texts__isnull=False)
        .order_by(*SEARCH_ORDER)
    )


class _Rare(Func):
    """A condition, and SQLite's planner told that it holds for few rows: ``likelihood()``
    (https://sqlite.org/lang_corefunc.html#likelihood), whose share must stand in the SQL."""

    template = "likelihood(%(expressions)s, 0.05)"
    output_field = models.BooleanField()


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
    queries = {
        config: SearchQuery(q, config=config, search_type="websearch")
        for config in sorted(set(search.CONFIGS.values()))
    }
    found = reduce(
        operator.or_,
        (
            Q(search_texts__config=config, search_texts__vector=query)
            for config, query in queries.items()
        ),
    )
    # The rank too: the same value, but the query parsed and stemmed once per language
    # instead of once per match from the row's language (a frequent word's 7 000 matches:
    # 10 of the 25 ms its page took).
    rank = models.Case(
        *(
            models.When(
                Exact(F("search_texts__config"), config),
                then=SearchRank(F("search_texts__vector"), query),
            )
            for config, query in queries.items()
        ),
        output_field=models.FloatField(),
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
    return ids_first(
        cases.filter(found)
        .annotate(
            rank=rank,
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
        .order_by(*SEARCH_ORDER)
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
