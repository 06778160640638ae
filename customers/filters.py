"""Shared pieces of the filters of every list (they may all import customers)."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

# A browser date picker; the ISO value it sends is one of the accepted input formats.
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DateRangeFilterSet(django_filters.FilterSet):
    """A filter set whose ``date_range`` (from-field, to-field) may not be reversed:
    a reversed range is a clear form error and shows no rows."""

    date_range: tuple[str, str] = ("", "")

    def filter_queryset(self, queryset):
        start_field, end_field = self.date_range
        start = self.form.cleaned_data.get(start_field)
        end = self.form.cleaned_data.get(end_field)
        if start and end and end < start:
            self.form.add_error(end_field, _("The end date cannot be before the start date."))
            return queryset.none()
        return super().filter_queryset(queryset)
