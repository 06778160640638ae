from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import (
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import Tariff
from customers.filters import DATE_INPUT, DateRangeFilterSet

from . import selectors
from .models import (
    ACTIVE_STATUSES,
    Callback,
    CallbackStatus,
    Case,
    CaseKind,
    CaseStatus,
    Channel,
)


def _start_of(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def desk_users(request=None):
    """Active users who may work cases (desk roles, administrators)."""
    perm = Q(
        groups__permissions__content_type__app_label="cases",
        groups__permissions__codename="change_case",
    ) | Q(is_superuser=True)
    return get_user_model().objects.filter(perm, is_active=True).distinct().order_by("username")


ACTIVE = "active"  # the status filter's "open or waiting"


class CaseFilter(DateRangeFilterSet):
    """The case list. Given no filter at all it is the desk's working view: open and
    waiting cases, Support+ first, then newest (``status=active``, also on its later
    pages); any filter given looks at every case (``status=`` is "all cases"), so the
    dashboard's links count what they say. A text (``q``) ranks the matches first."""

    date_range = ("created_from", "created_to")
    more_date_ranges = (("resolved_from", "resolved_to"),)

    q = django_filters.CharFilter(
        method="filter_text",
        label=_("Text"),
        widget=forms.TextInput(attrs={"type": "search", "maxlength": 200}),
    )
    mine = django_filters.BooleanFilter(
        method="filter_mine", label=_("My cases"), widget=forms.CheckboxInput
    )
    status = django_filters.ChoiceFilter(
        choices=[(ACTIVE, _("Open or waiting")), *CaseStatus.choices],
        method="filter_status",
        label=_("Status"),
        empty_label=_("Any status"),
    )
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
            "q",
            "status",
            "mine",
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

    def __init__(self, data=None, *args, **kwargs):
        if not any(name in (data or {}) for name in self.base_filters):
            data = data.copy() if data is not None else {}
            data["status"] = ACTIVE  # the working view, shown as such in the form
        super().__init__(data, *args, **kwargs)

    @property
    def quick_view(self) -> str:
        """Which of the list's quick views the filters are: "open", "mine", "all" or ""."""
        given = {name: self.data.get(name) for name in self.base_filters if self.data.get(name)}
        mine = given.pop("mine", None) in ("1", "on", "true", "True")
        if not given:
            return "" if mine else "all"
        if given == {"status": ACTIVE}:
            return "mine" if mine else "open"
        return ""

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.is_valid() or self.form.cleaned_data.get("q"):
            return queryset  # a text search comes ranked
        status = self.form.cleaned_data.get("status")
        active_only = status in (ACTIVE, *ACTIVE_STATUSES)
        return selectors.cases_in_list_order(queryset, active_only=active_only)

    def filter_text(self, queryset, name, value):
        return selectors.case_search(queryset, q=value)

    def filter_status(self, queryset, name, value):
        if value == ACTIVE:
            return queryset.filter(status__in=ACTIVE_STATUSES)
        return queryset.filter(status=value)

    def filter_mine(self, queryset, name, value):
        if not value or self.request is None:
            return queryset
        return queryset.filter(assignee_id=self.request.user.pk)

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
    EXPIRED = "expired", _("Missed long ago (out of the queue)")
    FIRST_WINDOW = "first_window", _("Reached within the first window")
    REACHED = "reached", _("Reached")
    CANCELLED = "cancelled", _("Cancelled")


def callback_expired_q(now) -> Q:
    """An open callback whose last window ended more than the tariff's
    ``callback_expiry_days`` before ``now``: it has left the queue and the navigation count.

    The days are read from the tariff in force inside the same query (a subquery), so no
    job marks anything and no page runs one query more for it.
    """
    days = Subquery(
        Tariff.objects.filter(valid_from__lte=timezone.localdate(now))
        .order_by("-valid_from")
        .values("callback_expiry_days")[:1]
    )
    default = Tariff._meta.get_field("callback_expiry_days").default
    span = ExpressionWrapper(
        Coalesce(days, default, output_field=IntegerField()) * Value(timedelta(days=1)),
        output_field=DurationField(),
    )
    limit = ExpressionWrapper(Value(now) - span, output_field=DateTimeField())
    return Q(status=CallbackStatus.OPEN, last_window_end__lt=limit)


def callback_state_q(state: str, now) -> Q:
    """The condition of a callback state at ``now`` (the dashboard counts with the same).

    ``expired`` is a part of ``missed``: a missed callback stays in the queue page (to call
    late or to cancel) for the tariff's ``callback_expiry_days``, then only here.
    """
    open_ = Q(status=CallbackStatus.OPEN)
    if state == CallbackState.EXPIRED:
        return callback_expired_q(now)
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
