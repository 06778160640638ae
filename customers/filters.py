"""Shared pieces of the filters of every list (they may all import customers)."""

from datetime import date

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Customer, Licence, LicenceKind, LicenceVariant

# A browser date picker; the ISO value it sends is one of the accepted input formats.
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


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


class CustomerFilter(django_filters.FilterSet):
    """The customer list's filters; "today" is the day of the request (the queryset's
    annotations from customers.selectors.customers_for_list)."""

    eligible = django_filters.BooleanFilter(label=_("Eligible today"))
    variant = django_filters.ChoiceFilter(
        choices=LicenceVariant.choices, method="filter_variant", label=_("Current variant")
    )
    support_plus = django_filters.BooleanFilter(label=_("Support+ today"))
    half_fare = django_filters.BooleanFilter(label=_("Half-fare today"))
    city = django_filters.CharFilter(field_name="city", lookup_expr="iexact", label=_("City"))

    class Meta:
        model = Customer
        fields = ["eligible", "variant", "support_plus", "half_fare", "city"]

    def filter_variant(self, queryset, name, value):
        # From the licences of the variant (licence_variant_idx) to their customers.
        today = timezone.localdate()
        licences = Licence.objects.filter(
            variant=value,
            kind=LicenceKind.RENTAL,
            rental_periods__start__lte=today,
            rental_periods__end__gte=today,
        )
        return queryset.filter(pk__in=licences.values("customer_id"))
