"""The demo's calendar: working days, months and instants in office hours (Europe/Zurich)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

# Public holidays observed all over Switzerland (or nearly): no calls on these days.
HOLIDAYS = {(1, 1), (1, 2), (8, 1), (12, 25), (12, 26)}


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and (day.month, day.day) not in HOLIDAYS


def next_working_day(day: date, steps: int = 1) -> date:
    """``steps`` working days after ``day`` (0: ``day`` itself if it is one)."""
    if steps == 0 and is_working_day(day):
        return day
    for _ in range(max(steps, 1)):
        day += timedelta(days=1)
        while not is_working_day(day):
            day += timedelta(days=1)
    return day


def first_working_day(day: date) -> date:
    return next_working_day(day, 0)


def month_start(day: date, months: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def activity_start(today: date, years: int = 1) -> date:
    """The first day of the generated years: for one year the 1st of the month eleven
    months back, for ``years`` the 1st of the month ``12 × years - 1`` months back."""
    return month_start(today, 1 - 12 * years)


def working_days(start: date, end: date) -> list[date]:
    days, day = [], start
    while day <= end:
        if is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def minute_of(instant: datetime) -> int:
    local = timezone.localtime(instant)
    return local.hour * 60 + local.minute


def local_instant(day: date, minute: int, second: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(minute // 60, minute % 60, second)))
