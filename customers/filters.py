"""The customer list's filters."""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Customer, Licence, LicenceKind, LicenceVariant


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
