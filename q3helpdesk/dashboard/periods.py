"""Reporting periods of the dashboard: pure date arithmetic, no ORM."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

PRESETS = ("month", "last_month", "quarter", "year")
MAX_DAYS = 366


def _add_months(day: date, months: int) -> date:
    """The first of the month ``months`` after (or before) ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def whole_months(start: date, end: date) -> int:
    """How many calendar months ``start``–``end`` spans exactly; 0 if it is not whole months."""
    if start.day != 1 or end != _month_end(end):
        return 0
    return (end.year - start.year) * 12 + end.month - start.month + 1


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a period ends on or after its start")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before: the same number of calendar months
        for a period of whole months (October for November, Q3 for Q4), else of days."""
        months = whole_months(self.start, self.end)
        if months:
            start = _add_months(self.start, -months)
            return Period(start, self.start - timedelta(days=1))
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def reference_day(self, today: date) -> date:
        """The day a state (Support+ subscriptions, current licences) is read on: the end of
        the period, or today while the period runs."""
        return min(self.end, today) if self.start <= today else self.end


def preset(key: str, today: date) -> Period:
    """This month, last month, this quarter or this year, as whole calendar periods."""
    if key == "month":
        return Period(today.replace(day=1), _month_end(today))
    if key == "last_month":
        start = _add_months(today, -1)
        return Period(start, _month_end(start))
    if key == "quarter":
        start = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
        return Period(start, _month_end(_add_months(start, 2)))
    if key == "year":
        return Period(date(today.year, 1, 1), date(today.year, 12, 31))
    raise ValueError(f"unknown period {key!r}")


def weeks(period: Period) -> list[date]:
    """The Mondays of the ISO weeks the period touches."""
    monday = period.start - timedelta(days=period.start.weekday())
    result = []
    while monday <= period.end:
        result.append(monday)
        monday += timedelta(days=7)
    return result


def days(period: Period) -> list[date]:
    return [period.start + timedelta(days=n) for n in range(period.days)]
