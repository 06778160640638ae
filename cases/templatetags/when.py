"""Short instants for the desk's lists: the year only when it is not this year.

``{{ attempt.at|when }}`` gives ``02.03. 14:05`` this year and ``30.12.2025 14:05`` for
any other year (last year's or next year's date must never pass for this year's);
``{{ window|window }}`` gives one callback window, ``Mon 02.03. 14:00–16:00``.
"""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

register = template.Library()


def _day(value: datetime) -> str:
    return "d.m." if value.year == timezone.localdate().year else "d.m.Y"


@register.filter
def when(value) -> str:
    """An instant as ``d.m. H:i``, with the year when it is not the current one."""
    if not isinstance(value, datetime):
        return ""
    value = timezone.localtime(value)
    return date_format(value, f"{_day(value)} H:i")


@register.filter
def window(value) -> str:
    """A callback window as ``D d.m. H:i–H:i`` (the year when not this year's)."""
    starts, ends = getattr(value, "starts_at", None), getattr(value, "ends_at", None)
    if not isinstance(starts, datetime) or not isinstance(ends, datetime):
        return ""
    starts, ends = timezone.localtime(starts), timezone.localtime(ends)
    text = date_format(starts, f"D {_day(starts)} H:i")
    if ends.date() == starts.date():
        return f"{text}–{date_format(ends, 'H:i')}"
    return f"{text}–{date_format(ends, f'{_day(ends)} H:i')}"
