"""Spans of days (first and last day, both inclusive): whether they cover a term, what a
change takes away from it, and how a span is written."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

Span = tuple[date, date]  # (first day, last day), both inclusive


def spans_cover(spans: Iterable[Span], start: date, end: date) -> date | None:
    """The first day of ``start``–``end`` that none of ``spans`` covers; None if all are.

    Spans may overlap or follow each other: 2026 and an already entered 2027 renewal
    together cover 01.07.2026–30.06.2027, as long as no day lies between them.
    """
    day = start
    for first, last in sorted(spans):
        if day > end:
            break
        if first > day:
            return day
        if last >= end:
            return None
        if last >= day:
            day = last + timedelta(days=1)
    return day if day <= end else None


def newly_uncovered(
    before: Iterable[Span], after: Iterable[Span], start: date, end: date
) -> date | None:
    """The first day of ``start``–``end`` that ``before`` covers and ``after`` does not.

    A change is judged by what it takes away: a subscription that already lacked a day
    (entered before the rule held for the whole term) does not block unrelated changes.
    """
    after = list(after)
    days = (
        spans_cover(after, max(first, start), min(last, end))
        for first, last in before
        if first <= end and last >= start
    )
    return min((day for day in days if day is not None), default=None)


def format_span(start: date, end: date) -> str:
    """01.01.–31.12.2026 within a year, 01.07.2026–30.06.2027 across two."""
    if start.year == end.year:
        return f"{start:%d.%m.}–{end:%d.%m.%Y}"
    return f"{start:%d.%m.%Y}–{end:%d.%m.%Y}"
