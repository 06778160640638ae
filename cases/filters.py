from datetime import timedelta

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from q3helpdesk.ui.filters import DATE_INPUT, DateRangeFilterSet, start_of_day

from . import selectors
from .models import (
    ACTIVE_STATUSES,
    Callback,
    Case,
    CaseKind,
    CaseStatus,
    Channel,
)
from .selectors import CallbackState, callback_state_q, desk_users

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
        max_length=200,  # longer is a form error, not a text cut short
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

    # A text search's matches, counted up to the bound (``case_search_in_order``); None
    # when the list is not a text search.
    search_matches: selectors.SearchMatches | None = None

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.is_valid():
            return queryset
        if self.form.cleaned_data.get("q"):
            # Ranked, unless the search finds too many to rank: counted with every filter.
            queryset, self.search_matches = selectors.case_search_in_order(queryset)
            return queryset
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
        return queryset.filter(created_at__gte=start_of_day(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(created_at__lt=start_of_day(value + timedelta(days=1)))

    def filter_resolved_from(self, queryset, name, value):
        return queryset.filter(resolved_at__gte=start_of_day(value))

    def filter_resolved_to(self, queryset, name, value):
        return queryset.filter(resolved_at__lt=start_of_day(value + timedelta(days=1)))


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
        return queryset.filter(first_window_start__gte=start_of_day(value))

    def filter_due_to(self, queryset, name, value):
        return queryset.filter(first_window_start__lt=start_of_day(value + timedelta(days=1)))
