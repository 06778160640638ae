import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Activity, CreditGrant, GrantSource, Usage

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class UsageFilter(django_filters.FilterSet):
    customer = django_filters.CharFilter(field_name="customer__number", label=_("Customer number"))
    performed_from = django_filters.DateFilter(
        field_name="performed_on", lookup_expr="gte", label=_("From"), widget=DATE
    )
    performed_to = django_filters.DateFilter(
        field_name="performed_on", lookup_expr="lte", label=_("To"), widget=DATE
    )
    activity = django_filters.ChoiceFilter(choices=Activity.choices, label=_("Activity"))
    work_ref = django_filters.CharFilter(label=_("Case reference"))

    class Meta:
        model = Usage
        fields = ["customer", "performed_from", "performed_to", "activity", "work_ref"]

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        start, end = data.get("performed_from"), data.get("performed_to")
        if start and end and end < start:
            self.form.add_error("performed_to", _("The end date cannot be before the start date."))
            return queryset.none()
        return super().filter_queryset(queryset)


class CreditGrantFilter(django_filters.FilterSet):
    customer = django_filters.CharFilter(field_name="customer__number", label=_("Customer number"))
    valid_on = django_filters.DateFilter(method="filter_valid_on", label=_("Valid on"), widget=DATE)
    source = django_filters.ChoiceFilter(choices=GrantSource.choices, label=_("Source"))

    class Meta:
        model = CreditGrant
        fields = ["customer", "valid_on", "source"]

    def filter_valid_on(self, queryset, name, value):
        return queryset.filter(valid_from__lte=value, valid_to__gte=value)
