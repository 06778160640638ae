import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from customers.models import LicenceVariant
from q3helpdesk.ui.filters import DATE_INPUT, DateRangeFilterSet

from .models import (
    CreditGrant,
    GrantSource,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Usage,
    UsageDraw,
)
from .selectors import LedgerMinutes, activity_filter_choices, ledger_minutes_q

# Where credit comes from: the licence variant of a rental period's grant, or Support+.
CREDIT_FROM_CHOICES = [
    *LicenceVariant.choices,
    (GrantSource.SUPPORT_PLUS, GrantSource.SUPPORT_PLUS.label),
]


class UsageFilter(DateRangeFilterSet):
    date_range = ("performed_from", "performed_to")

    customer = django_filters.CharFilter(field_name="customer__number", label=_("Customer number"))
    performed_from = django_filters.DateFilter(
        field_name="performed_on", lookup_expr="gte", label=_("From"), widget=DATE_INPUT
    )
    performed_to = django_filters.DateFilter(
        field_name="performed_on", lookup_expr="lte", label=_("To"), widget=DATE_INPUT
    )
    activity = django_filters.ChoiceFilter(choices=[], label=_("Activity"))
    work_ref = django_filters.CharFilter(label=_("Case reference"))
    minutes = django_filters.ChoiceFilter(
        choices=LedgerMinutes.choices, method="filter_minutes", label=_("Minutes")
    )

    credit_from = django_filters.ChoiceFilter(
        choices=CREDIT_FROM_CHOICES, method="filter_credit_from", label=_("Credit from")
    )

    class Meta:
        model = Usage
        fields = [
            "customer",
            "performed_from",
            "performed_to",
            "activity",
            "work_ref",
            "minutes",
            "credit_from",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Activities are tariff data (R4): every code any tariff has, read once per page.
        self.filters["activity"].extra["choices"] = activity_filter_choices()

    def filter_minutes(self, queryset, name, value):
        return queryset.filter(ledger_minutes_q(value))

    def filter_credit_from(self, queryset, name, value):
        """Postings that drew credit from (or gave it back to) that kind of grant."""
        if value == GrantSource.SUPPORT_PLUS:
            kind = Q(grant__source=GrantSource.SUPPORT_PLUS)
        else:
            kind = Q(
                grant__source=GrantSource.LICENCE, grant__rental_period__licence__variant=value
            )
        return queryset.filter(Exists(UsageDraw.objects.filter(kind, usage=OuterRef("pk"))))


class CreditGrantFilter(django_filters.FilterSet):
    customer = django_filters.CharFilter(field_name="customer__number", label=_("Customer number"))
    valid_on = django_filters.DateFilter(
        method="filter_valid_on", label=_("Valid on"), widget=DATE_INPUT
    )
    source = django_filters.ChoiceFilter(choices=GrantSource.choices, label=_("Source"))

    class Meta:
        model = CreditGrant
        fields = ["customer", "valid_on", "source"]

    def filter_valid_on(self, queryset, name, value):
        return queryset.filter(valid_from__lte=value, valid_to__gte=value)


class InvoiceFilter(DateRangeFilterSet):
    date_range = ("period_from", "period_to")
    more_date_ranges = (("issued_from", "issued_to"),)

    status = django_filters.ChoiceFilter(choices=InvoiceStatus.choices, label=_("Status"))
    kind = django_filters.ChoiceFilter(choices=InvoiceKind.choices, label=_("Kind"))
    customer = django_filters.CharFilter(field_name="customer__number", label=_("Customer number"))
    number = django_filters.CharFilter(label=_("Number"))
    period_from = django_filters.DateFilter(
        field_name="period_end", lookup_expr="gte", label=_("Period from"), widget=DATE_INPUT
    )
    period_to = django_filters.DateFilter(
        field_name="period_start", lookup_expr="lte", label=_("Period until"), widget=DATE_INPUT
    )
    issued_from = django_filters.DateFilter(
        field_name="issued_on", lookup_expr="gte", label=_("Issued from"), widget=DATE_INPUT
    )
    issued_to = django_filters.DateFilter(
        field_name="issued_on", lookup_expr="lte", label=_("Issued until"), widget=DATE_INPUT
    )

    class Meta:
        model = Invoice
        fields = [
            "status",
            "kind",
            "customer",
            "number",
            "period_from",
            "period_to",
            "issued_from",
            "issued_to",
        ]
