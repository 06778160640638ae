"""Callbacks and the desk's users: the queue's states and who may take them."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import models
from django.db.models import (
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import Tariff
from q3helpdesk.guards import service

from ..models import (
    Callback,
    CallbackAttempt,
    CallbackStatus,
)

# --- callbacks and the desk's users ------------------------------------------------------
# The conditions of a callback's state are shared by the queue, the list's filter and the
# dashboard, so that a figure and the list behind it always count the same rows.


def desk_users(request=None):
    """Active users who may work cases (desk roles, administrators)."""
    perm = Q(
        groups__permissions__content_type__app_label="cases",
        groups__permissions__codename="change_case",
    ) | Q(is_superuser=True)
    return get_user_model().objects.filter(perm, is_active=True).distinct().order_by("username")


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
    # The limit is worked out inside the subquery, which refers to no row of the outer
    # query: the database computes it once, not once per callback (SQLite does the date
    # arithmetic in Python functions, 16 ms per page on the navigation's count).
    limits = (
        Tariff.objects.filter(valid_from__lte=timezone.localdate(now))
        .order_by("-valid_from")
        .annotate(
            limit=ExpressionWrapper(
                Value(now)
                - ExpressionWrapper(
                    # As an integer: SQLite multiplies only "IntegerField"s with a duration.
                    ExpressionWrapper(F("callback_expiry_days"), output_field=IntegerField())
                    * Value(timedelta(days=1)),
                    output_field=DurationField(),
                ),
                output_field=DateTimeField(),
            )
        )
        .values("limit")[:1]
    )
    default = Tariff._meta.get_field("callback_expiry_days").default
    limit = Coalesce(
        Subquery(limits, output_field=DateTimeField()),
        Value(now - timedelta(days=default), output_field=DateTimeField()),
    )
    return Q(status=CallbackStatus.OPEN, last_window_end__lt=limit)


def callback_state_q(state: str, now) -> Q:
    """The condition of a callback state at ``now`` (the dashboard counts with the same).

    ``expired`` is a part of ``missed``: a missed callback stays in the queue page (to call
    late or to cancel) for the tariff's ``callback_expiry_days``, then only here.
    """
    open_ = Q(status=CallbackStatus.OPEN)
    if state == CallbackState.EXPIRED:
        return callback_expired_q(now)
    queries: dict[str, Q] = {
        CallbackState.WAITING: open_ & Q(first_window_end__gte=now),
        CallbackState.OVERDUE: open_ & Q(first_window_end__lt=now, last_window_end__gte=now),
        CallbackState.MISSED: open_ & Q(last_window_end__lt=now),
        CallbackState.FIRST_WINDOW: Q(status=CallbackStatus.DONE)
        & Q(closed_at__lte=F("first_window_end")),
        CallbackState.REACHED: Q(status=CallbackStatus.DONE),
        CallbackState.CANCELLED: Q(status=CallbackStatus.CANCELLED),
    }
    return queries[state]


def callbacks_open() -> QuerySet[Callback]:
    """Open callbacks, Support+ first, then by their earliest window (R7, R11), with their
    windows and attempts (who tried, with what outcome and note)."""
    return (
        Callback.objects.filter(status=CallbackStatus.OPEN)
        .select_related("case__customer", "claimed_by")
        .prefetch_related(
            "windows",
            Prefetch("attempts", queryset=CallbackAttempt.objects.select_related("by")),
        )
        .order_by("-support_plus", "first_window_start", "id")
    )


def callbacks_waiting(now: datetime) -> QuerySet[Callback]:
    """Open callbacks with a window still to come or running."""
    return callbacks_open().filter(last_window_end__gte=now)


def callbacks_missed(now: datetime) -> QuerySet[Callback]:
    """Open callbacks whose every window has passed without reaching the customer, for the
    tariff's ``callback_expiry_days`` (still to call late, or to cancel); later they have
    left the queue (the state ``expired`` of the list of all callbacks)."""
    return (
        callbacks_open()
        .filter(callback_state_q(CallbackState.MISSED, now))
        .exclude(callback_expired_q(now))
    )


def callbacks_due_q(now: datetime) -> Q:
    """Due now: open, a window has started (the first one), and not expired — waiting in a
    running window, overdue, or missed in the last ``callback_expiry_days``."""
    return Q(status=CallbackStatus.OPEN, first_window_start__lte=now) & ~callback_expired_q(now)


def callbacks_due_count(now: datetime) -> int:
    """How many callbacks are due now (the navigation's badge): one COUNT query."""
    return Callback.objects.filter(callbacks_due_q(now)).count()


@service
def callbacks_for(*, user: User, now: datetime) -> QuerySet[Callback]:
    """The callbacks of ``user``'s work: open and not expired, claimed by them (whenever the
    window), or claimed by nobody and due now. Support+ first, then by the first window."""
    mine = Q(claimed_by=user) & ~callback_expired_q(now)
    free = Q(claimed_by__isnull=True) & callbacks_due_q(now)
    return callbacks_open().filter(mine | free)
