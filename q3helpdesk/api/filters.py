"""The filters of the API's lists. Dates are days of Zurich (``2026-12-31``); a range
with its end before its start, or a date that is no date, is refused with a 400 that
says why, in the language of ``Accept-Language``."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import django_filters as filters
from django import forms
from django.conf import settings
from django.utils.translation import gettext as _

from billing.models import InvoiceKind, InvoiceStatus, Usage
from cases.models import Case, CaseKind, CaseStatus, Channel

# The longest range of posted time one request may ask for: a year (a leap year's too).
USAGE_RANGE_DAYS = 366


class RangeForm(forms.Form):
    """Checks that each ``<name>_from``/``<name>_to`` pair is in order."""

    def clean(self):
        data = super().clean()
        for name, value in list(data.items()):
            if not name.endswith("_from") or value is None:
                continue
            end = data.get(name.removesuffix("_from") + "_to")
            if end is not None and end < value:
                raise forms.ValidationError(
                    _("The end of the range (%(end)s) is before its start (%(start)s).")
                    % {"end": end.isoformat(), "start": value.isoformat()}
                )
        return data


def _day_start(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


class CustomerFilter(filters.FilterSet):
    on = filters.DateFilter(
        method="keep", help_text="The day of the status and the credit (default: today)."
    )
    eligible = filters.BooleanFilter(help_text="Only customers that may (or may not) get support.")
    number = filters.CharFilter(help_text="One customer number.")

    class Meta:
        form = RangeForm
        fields: list[str] = []

    def keep(self, queryset, name, value):
        return queryset  # read by the view: it decides the day of the annotations


class CaseFilter(filters.FilterSet):
    customer = filters.CharFilter(field_name="customer__number", help_text="A customer number.")
    opened_from = filters.DateFilter(method="opened_from_day", help_text="Opened on or after.")
    opened_to = filters.DateFilter(method="opened_to_day", help_text="Opened on or before.")
    status = filters.ChoiceFilter(choices=CaseStatus.choices)
    channel = filters.ChoiceFilter(choices=Channel.choices)
    kind = filters.ChoiceFilter(choices=CaseKind.choices)

    class Meta:
        model = Case
        form = RangeForm
        fields: list[str] = []

    def opened_from_day(self, queryset, name, value):
        return queryset.filter(created_at__gte=_day_start(value))

    def opened_to_day(self, queryset, name, value):
        return queryset.filter(created_at__lt=_day_start(value + timedelta(days=1)))


class UsageRangeForm(RangeForm):
    def clean(self):
        data = super().clean()
        start, end = data.get("performed_from"), data.get("performed_to")
        if start and end and (end - start).days >= USAGE_RANGE_DAYS:
            raise forms.ValidationError(
                _("Ask for at most %(days)s days of posted time at once.")
                % {"days": USAGE_RANGE_DAYS}
            )
        return data


class UsageFilter(filters.FilterSet):
    performed_from = filters.DateFilter(
        field_name="performed_on", lookup_expr="gte", required=True, help_text="First day."
    )
    performed_to = filters.DateFilter(
        field_name="performed_on", lookup_expr="lte", required=True, help_text="Last day."
    )
    customer = filters.CharFilter(field_name="customer__number", help_text="A customer number.")
    activity = filters.CharFilter()
    work_ref = filters.CharFilter(help_text="A case reference, such as C-123.")

    class Meta:
        model = Usage
        form = UsageRangeForm
        fields: list[str] = []


class InvoiceFilter(filters.FilterSet):
    issued_from = filters.DateFilter(field_name="issued_on", lookup_expr="gte")
    issued_to = filters.DateFilter(field_name="issued_on", lookup_expr="lte")
    customer = filters.CharFilter(field_name="customer__number", help_text="A customer number.")
    kind = filters.ChoiceFilter(choices=InvoiceKind.choices)
    status = filters.ChoiceFilter(
        choices=[(s.value, s.label) for s in InvoiceStatus if s != InvoiceStatus.DRAFT]
    )

    class Meta:
        form = RangeForm
        fields: list[str] = []
