"""The filters of the API's lists. Dates are days of Zurich (``2026-12-31`` or
``31.12.2026``); a date out of bounds, a range whose end is before its start, a choice
that does not exist or a value that is no date is refused with a 400 that names the field
and says why, in the language of ``Accept-Language`` — as the desk's list filters do."""

from __future__ import annotations

from datetime import date, timedelta

import django_filters as filters
from django import forms
from django.utils.translation import gettext as _

from billing.models import InvoiceKind, InvoiceStatus, Usage
from billing.selectors import activity_filter_choices
from cases.models import Case, CaseKind, CaseStatus, Channel
from q3helpdesk.ui.filters import DateRangeFilterSet, start_of_day

# The longest range of posted time one request may ask for: a year (a leap year's too).
USAGE_RANGE_DAYS = 366
EARLIEST, LATEST = DateRangeFilterSet.earliest, DateRangeFilterSet.latest


class RangeForm(forms.Form):
    """Every date within the desk's bounds, and each ``<name>_from``/``<name>_to`` pair in
    order (a form error: DjangoFilterBackend answers it with a 400)."""

    def clean(self):
        data = super().clean()
        for name, value in list(data.items()):
            if isinstance(value, date) and not EARLIEST <= value <= LATEST:
                self.add_error(
                    name,
                    _("Choose a date between %(first)s and %(last)s.")
                    % {"first": f"{EARLIEST:%d.%m.%Y}", "last": f"{LATEST:%d.%m.%Y}"},
                )
        for name, value in list(self.cleaned_data.items()):
            end_name = name.removesuffix("_from") + "_to"
            end = self.cleaned_data.get(end_name)
            if name.endswith("_from") and value and end and end < value:
                self.add_error(end_name, _("The end date cannot be before the start date."))
        return self.cleaned_data


BOOLEAN = [("true", "true"), ("false", "false")]


class CustomerFilter(filters.FilterSet):
    eligible = filters.ChoiceFilter(
        choices=BOOLEAN,
        method="filter_eligible",
        help_text="true: only customers that may get support on the day; false: the others.",
    )
    number = filters.CharFilter(help_text="One customer number.")

    class Meta:
        form = RangeForm
        fields: list[str] = []

    def filter_eligible(self, queryset, name, value):
        return queryset.filter(eligible=value == "true")


class CaseFilter(filters.FilterSet):
    customer = filters.CharFilter(field_name="customer__number", help_text="A customer number.")
    created_from = filters.DateFilter(
        method="created_from_day", help_text="Recorded at the desk on or after this day."
    )
    created_to = filters.DateFilter(
        method="created_to_day", help_text="Recorded at the desk on or before this day."
    )
    status = filters.ChoiceFilter(choices=CaseStatus.choices)
    channel = filters.ChoiceFilter(choices=Channel.choices)
    kind = filters.ChoiceFilter(choices=CaseKind.choices)

    class Meta:
        model = Case
        form = RangeForm
        fields: list[str] = []

    def created_from_day(self, queryset, name, value):
        return queryset.filter(created_at__gte=start_of_day(value))

    def created_to_day(self, queryset, name, value):
        return queryset.filter(created_at__lt=start_of_day(value + timedelta(days=1)))


class UsageRangeForm(RangeForm):
    def clean(self):
        data = super().clean()
        start, end = data.get("performed_from"), data.get("performed_to")
        if start and end and end >= start and (end - start).days >= USAGE_RANGE_DAYS:
            self.add_error(
                "performed_to",
                _("Ask for at most %(days)s days of posted time at once.")
                % {"days": USAGE_RANGE_DAYS},
            )
        return self.cleaned_data


class UsageFilter(filters.FilterSet):
    performed_from = filters.DateFilter(
        field_name="performed_on", lookup_expr="gte", required=True, help_text="First day."
    )
    performed_to = filters.DateFilter(
        field_name="performed_on", lookup_expr="lte", required=True, help_text="Last day."
    )
    customer = filters.CharFilter(field_name="customer__number", help_text="A customer number.")
    activity = filters.ChoiceFilter(choices=activity_filter_choices)
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
