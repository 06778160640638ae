from datetime import datetime, time, timedelta

import django_filters
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.filters import DATE_INPUT, DateRangeFilterSet

from .models import Callback, CallbackStatus, Case, CaseKind, CaseStatus, Channel


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
    more_date_ranges = (("resolved_from", "resolved_to"),)

    status = django_filters.ChoiceFilter(choices=CaseStatus.choices, label=_("Status"))
    kind = django_filters.ChoiceFilter(choices=CaseKind.choices, label=_("Kind"))
    channel = django_filters.ChoiceFilter(choices=Channel.choices, label=_("Channel"))
    assignee = django_filters.ModelChoiceFilter(queryset=desk_users, label=_("Assigned to"))
    customer = django_filters.CharFilter(field_name="customer__number", label=_("Customer number"))
    created_from = django_filters.DateFilter(
        method="filter_from", label=_("From"), widget=DATE_INPUT
    )
    created_to = django_filters.DateFilter(method="filter_to", label=_("To"), widget=DATE_INPUT)
    support_plus = django_filters.BooleanFilter(label=_("Support+"))
    resolved_from = django_filters.DateFilter(
        method="filter_resolved_from", label=_("Resolved from"), widget=DATE_INPUT
    )
    resolved_to = django_filters.DateFilter(
        method="filter_resolved_to", label=_("Resolved until"), widget=DATE_INPUT
    )

    class Meta:
        model = Case
        fields = [
            "status",
            "kind",
            "channel",
            "assignee",
            "customer",
            "created_from",
            "created_to",
            "support_plus",
            "resolved_from",
            "resolved_to",
        ]

    # Compare with the instants of the day's start in Zurich, so that the index is used.
    def filter_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=_start_of(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(created_at__lt=_start_of(value + timedelta(days=1)))

    def filter_resolved_from(self, queryset, name, value):
        return queryset.filter(resolved_at__gte=_start_of(value))

    def filter_resolved_to(self, queryset, name, value):
        return queryset.filter(resolved_at__lt=_start_of(value + timedelta(days=1)))


class CallbackState(models.TextChoices):
    """What became of a callback, as the dashboard counts it (derived from the clock)."""

    WAITING = "waiting", _("Waiting (a window is still to come)")
    OVERDUE = "overdue", _("Overdue (first window passed, not reached yet)")
    MISSED = "missed", _("Missed (every window passed)")
    FIRST_WINDOW = "first_window", _("Reached within the first window")
    REACHED = "reached", _("Reached")
    CANCELLED = "cancelled", _("Cancelled")


def callback_state_q(state: str, now) -> Q:
    """The condition of a callback state at ``now`` (the dashboard counts with the same)."""
    open_ = Q(status=CallbackStatus.OPEN)
    return {
        CallbackState.WAITING: open_ & Q(first_window_end__gte=now),
        CallbackState.OVERDUE: open_ & Q(first_window_end__lt=now, last_window_end__gte=now),
        CallbackState.MISSED: open_ & Q(last_window_end__lt=now),
        CallbackState.FIRST_WINDOW: Q(status=CallbackStatus.DONE)
        & Q(closed_at__lte=F("first_window_end")),
        CallbackState.REACHED: Q(status=CallbackStatus.DONE),
        CallbackState.CANCELLED: Q(status=CallbackStatus.CANCELLED),
    }[state]


class CallbackFilter(DateRangeFilterSet):
    """Every callback, by the day its first window starts and by what became of it."""

    date_range = ("due_from", "due_to")

    state = django_filters.ChoiceFilter(
        choices=CallbackState.choices, method="filter_state", label=_("State")
    )
    customer = django_filters.CharFilter(
        field_name="case__customer__number", label=_("Customer number")
    )
    due_from = django_filters.DateFilter(
        method="filter_due_from", label=_("First window from"), widget=DATE_INPUT
    )
    due_to = django_filters.DateFilter(
        method="filter_due_to", label=_("First window until"), widget=DATE_INPUT
    )
    support_plus = django_filters.BooleanFilter(label=_("Support+"))

    class Meta:
        model = Callback
        fields = ["state", "customer", "due_from", "due_to", "support_plus"]

    def filter_state(self, queryset, name, value):
        return queryset.filter(callback_state_q(value, timezone.now()))

    def filter_due_from(self, queryset, name, value):
        return queryset.filter(first_window_start__gte=_start_of(value))

    def filter_due_to(self, queryset, name, value):
        return queryset.filter(first_window_start__lt=_start_of(value + timedelta(days=1)))
