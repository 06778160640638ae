"""``when`` and ``window`` write their digits themselves: they must say what Django's date
format says (``d.m. H:i``, ``D d.m. H:i–H:i``, the year when not this year's) in every
language, across the year's end and the changes of summer time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.utils import timezone, translation
from django.utils.dateformat import format as date_format

from cases.templatetags.when import clock, when, when_text, window, window_text


def _day(value: datetime) -> str:
    return "d.m." if value.year == timezone.localdate().year else "d.m.Y"


def django_when(value: datetime) -> str:
    value = timezone.localtime(value)
    return date_format(value, f"{_day(value)} H:i")


def django_window(starts: datetime, ends: datetime) -> str:
    starts, ends = timezone.localtime(starts), timezone.localtime(ends)
    text = date_format(starts, f"D {_day(starts)} H:i")
    if ends.date() == starts.date():
        return f"{text}–{date_format(ends, 'H:i')}"
    return f"{text}–{date_format(ends, f'{_day(ends)} H:i')}"


INSTANTS = [
    datetime(2025, 12, 31, 22, 59, tzinfo=UTC),  # 23:59 in Zurich, last year
    datetime(2025, 12, 31, 23, 0, tzinfo=UTC),  # midnight: this year
    datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # before the change to summer time
    datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # after it
    datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # the hour that comes twice
    datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
    datetime(2027, 1, 4, 7, 5, tzinfo=UTC),  # next year
]
SPANS = [timedelta(minutes=30), timedelta(hours=2), timedelta(hours=3), timedelta(days=2)]


@pytest.mark.parametrize("language", ["fr", "de", "en"])
def test_instants_and_windows_read_as_djangos_date_format(language):
    summer = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    with time_machine.travel(summer), translation.override(language):
        now = clock()
        for starts in INSTANTS:
            assert when(starts) == when_text(starts, now) == django_when(starts)
            for span in SPANS:
                w = SimpleNamespace(starts_at=starts, ends_at=starts + span)
                expected = django_window(starts, starts + span)
                assert window(w) == window_text(w, now) == expected, (starts, span)


def test_no_instant_no_text():
    assert when(None) == when("") == window(None) == window(SimpleNamespace(starts_at=None)) == ""
