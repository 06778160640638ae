"""Short instants for the desk's lists: the year only when it is not this year.

``{{ attempt.at|when }}`` gives ``02.03. 14:05`` this year and ``30.12.2025 14:05`` for
any other year (last year's or next year's date must never pass for this year's);
``{{ window|window }}`` gives one callback window, ``Mon 02.03. 14:00–16:00``.

The lists call these for every window and attempt of a page (a few hundred times), so
they write the digits themselves instead of going through Django's date formatting,
which parses its format string on every call; the weekday is Django's own abbreviation
in the current language (``D``).
"""

from datetime import datetime, tzinfo
from typing import NamedTuple

from django import template
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR

register = template.Library()


def _day(value: datetime, this_year: int) -> str:
    """``d.m.``, or ``d.m.Y`` when ``value`` is not in ``this_year``."""
    if value.year == this_year:
        return f"{value.day:02d}.{value.month:02d}."
    return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"


def _time(value: datetime) -> str:
    """``H:i``."""
    return f"{value.hour:02d}:{value.minute:02d}"


class Clock(NamedTuple):
    """The current time zone and year, looked up once for a page of instants."""

    tz: tzinfo
    year: int


def clock() -> Clock:
    tz = timezone.get_current_timezone()
    return Clock(tz, timezone.localdate(timezone=tz).year)


def when_text(value, now: Clock | None = None) -> str:
    """:func:`when`; ``now`` given by a caller that formats many instants."""
    if not isinstance(value, datetime):
        return ""
    now = now or clock()
    value = timezone.localtime(value, now.tz)
    return f"{_day(value, now.year)} {_time(value)}"


def window_text(value, now: Clock | None = None) -> str:
    """:func:`window`; ``now`` given by a caller that formats many windows."""
    starts, ends = getattr(value, "starts_at", None), getattr(value, "ends_at", None)
    if not isinstance(starts, datetime) or not isinstance(ends, datetime):
        return ""
    now = now or clock()
    starts, ends = timezone.localtime(starts, now.tz), timezone.localtime(ends, now.tz)
    text = f"{WEEKDAYS_ABBR[starts.weekday()]} {_day(starts, now.year)} {_time(starts)}"
    if ends.date() == starts.date():
        return f"{text}–{_time(ends)}"
    return f"{text}–{_day(ends, now.year)} {_time(ends)}"


@register.filter
def when(value) -> str:
    """An instant as ``d.m. H:i``, with the year when it is not the current one."""
    return when_text(value)


@register.filter
def window(value) -> str:
    """A callback window as ``D d.m. H:i–H:i`` (the year when not this year's)."""
    return window_text(value)
