"""The date-range filter set the lists' filters derive from, and the date input of their
forms."""

from datetime import date, datetime, time

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A browser date picker; the ISO value it sends is one of the accepted input formats.
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def start_of_day(day: date) -> datetime:
    """The first instant of ``day`` in the desk's time zone (a filter's day boundary)."""
    return timezone.make_aware(datetime.combine(day, time.min))


class DateRangeFilterSet(django_filters.FilterSet):
    """A filter set whose date ranges (from-field, to-field) may not be reversed or out of
    bounds: such a range is a clear form error and shows no rows.

    ``date_range`` names the main range; ``more_date_ranges`` any others of the list.
    """

    date_range: tuple[str, str] = ("", "")
    more_date_ranges: tuple[tuple[str, str], ...] = ()
    earliest, latest = date(1990, 1, 1), date(2199, 12, 31)

    def filter_queryset(self, queryset):
        for start_field, end_field in (self.date_range, *self.more_date_ranges):
            start = self.form.cleaned_data.get(start_field)
            end = self.form.cleaned_data.get(end_field)
            for name, value in ((start_field, start), (end_field, end)):
                if value and not self.earliest <= value <= self.latest:
                    self.form.add_error(
                        name,
                        _("Choose a date between %(first)s and %(last)s.")
                        % {
                            "first": f"{self.earliest:%d.%m.%Y}",
                            "last": f"{self.latest:%d.%m.%Y}",
                        },
                    )
                    return queryset.none()
            if start and end and end < start:
                self.form.add_error(end_field, _("The end date cannot be before the start date."))
                return queryset.none()
        return super().filter_queryset(queryset)
