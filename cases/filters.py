from datetime import datetime, time, timedelta

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.filters import DATE_INPUT, DateRangeFilterSet

from .models import Case, CaseStatus, Channel


def _start_of(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def desk_users(request=None):
    """Active users who may work cases (desk roles, administrators)."""
    perm = Q(
        groups__permissions__content_type__app_label="cases",
        groups__permissions__codename="change_case",
    ) | Q(is_superuser=True)
    return get_user_model().objects.filter(perm, is_active=True).distinct().order_by("username")


class CaseFilter(DateRangeFilterSet):
    date_range = ("created_from", "created_to")

    status = django_filters.ChoiceFilter(choices=CaseStatus.choices, label=_("Status"))
    channel = django_filters.ChoiceFilter(choices=Channel.choices, label=_("Channel"))
    assignee = django_filters.ModelChoiceFilter(queryset=desk_users, label=_("Assigned to"))
    customer = django_filters.CharFilter(field_name="customer__number", label=_("Customer number"))
    created_from = django_filters.DateFilter(
        method="filter_from", label=_("From"), widget=DATE_INPUT
    )
    created_to = django_filters.DateFilter(method="filter_to", label=_("To"), widget=DATE_INPUT)
    support_plus = django_filters.BooleanFilter(label=_("Support+"))

    class Meta:
        model = Case
        fields = [
            "status",
            "channel",
            "assignee",
            "customer",
            "created_from",
            "created_to",
            "support_plus",
        ]

    # Compare with the instants of the day's start in Zurich, so that the index is used.
    def filter_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=_start_of(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(created_at__lt=_start_of(value + timedelta(days=1)))
