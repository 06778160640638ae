"""The customer list's filters."""

import django_filters
from django.db.models import Exists
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Customer, Licence, LicenceKind, LicenceVariant
from .selectors import current_periods, half_fare_running, support_plus_running


class CustomerFilter(django_filters.FilterSet):
    """The customer list's filters; "today" is the day of the request, as for the
    queryset's annotations (customers.selectors.customers_for_list).

    The yes/no filters ask EXISTS of the same subqueries the annotations read, so that the
    planner can join them (from the few Support+ subscriptions to their customers, say)
    rather than look each customer up in turn.
    """

    eligible = django_filters.BooleanFilter(method="filter_eligible", label=_("Eligible today"))
    variant = django_filters.ChoiceFilter(
        choices=LicenceVariant.choices, method="filter_variant", label=_("Current variant")
    )
    support_plus = django_filters.BooleanFilter(
        method="filter_support_plus", label=_("Support+ today")
    )
    half_fare = django_filters.BooleanFilter(method="filter_half_fare", label=_("Half-fare today"))
    city = django_filters.CharFilter(field_name="city", lookup_expr="iexact", label=_("City"))

    class Meta:
        model = Customer
        fields = ["eligible", "variant", "support_plus", "half_fare", "city"]

    @staticmethod
    def _having(queryset, rows, value: bool):
        return queryset.filter(Exists(rows) if value else ~Exists(rows))

    def filter_eligible(self, queryset, name, value):
        return self._having(queryset, current_periods(timezone.localdate()), value)

    def filter_support_plus(self, queryset, name, value):
        return self._having(queryset, support_plus_running(timezone.localdate()), value)

    def filter_half_fare(self, queryset, name, value):
        return self._having(queryset, half_fare_running(timezone.localdate()), value)

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
