"""Callbacks and the desk's users: the queue's states and who may take them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import connection, models
from django.db.models import (
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    prefetch_related_objects,
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
    CallbackWindow,
    InboundEmail,
)
from .inbox import WAITING

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


def callback_expiry_limit(now) -> Coalesce:
    """The instant before which an open callback's last window must have ended for it to
    have expired at ``now``: ``now`` less the tariff's ``callback_expiry_days``.

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
    return Coalesce(
        Subquery(limits, output_field=DateTimeField()),
        Value(now - timedelta(days=default), output_field=DateTimeField()),
    )


def callback_expired_q(now) -> Q:
    """An open callback whose last window ended more than the tariff's
    ``callback_expiry_days`` before ``now``: it has left the queue and the navigation count.
    """
    return Q(status=CallbackStatus.OPEN, last_window_end__lt=callback_expiry_limit(now))


def _open_not_expired_q(now) -> Q:
    """Open and not expired, said so that an index on (status, last_window_end) reads only
    these callbacks: not "not expired" (``~callback_expired_q``), which reads every open
    callback of the years to drop the expired ones."""
    return Q(status=CallbackStatus.OPEN, last_window_end__gte=callback_expiry_limit(now))


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


# Of a user, the lists show the name: the password hash and the dates are not read.
USER_NAME = ("username", "first_name", "last_name")


def callbacks_for_rows(callbacks: QuerySet[Callback]) -> QuerySet[Callback]:
    """``callbacks`` with what a row of the queue or of the list of callbacks shows of its
    case (the reference), customer (number and name) and holder (the name), and none of
    their other columns: loading fifty cases, customers and users whole parsed 500 dates
    and 50 phone numbers nobody sees. The callback's own columns are all there."""
    return callbacks.select_related("case__customer", "claimed_by").only(
        *(field.name for field in Callback._meta.concrete_fields),
        "case__customer__number",
        "case__customer__name",
        *(f"claimed_by__{name}" for name in USER_NAME),
    )


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


def callback_rows_prefetch() -> tuple:
    """The prefetch of a row's windows and attempts (with the name of who tried), as
    lists (``window_list``, ``attempt_list``; read them with :func:`windows_of` and
    :func:`attempts_of`): Django makes a queryset per row for a prefetch kept in the
    related manager, 3 ms for a page of fifty callbacks."""
    attempts = CallbackAttempt.objects.select_related("by").only(
        "callback", "outcome", "note", "at", "by", *(f"by__{name}" for name in USER_NAME)
    )
    return (
        Prefetch("windows", to_attr="window_list"),
        Prefetch("attempts", queryset=attempts, to_attr="attempt_list"),
    )


def windows_of(callback: Callback) -> Iterable[CallbackWindow]:
    """The callback's windows: the list read with the page's rows, if it was."""
    listed = getattr(callback, "window_list", None)
    return callback.windows.all() if listed is None else listed


def attempts_of(callback: Callback) -> Iterable[CallbackAttempt]:
    """The callback's attempts: the list read with the page's rows, if it was."""
    listed = getattr(callback, "attempt_list", None)
    return callback.attempts.all() if listed is None else listed


def callbacks_with_windows(callbacks: list[Callback]) -> None:
    """Reads the windows and attempts of ``callbacks`` (rows of several lists of a page,
    read without them): two queries for all of them."""
    prefetch_related_objects(callbacks, *callback_rows_prefetch())


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
        .filter(_open_not_expired_q(now))
    )


def callbacks_due_q(now: datetime) -> Q:
    """Due now: open, a window has started (the first one), and not expired — waiting in a
    running window, overdue, or missed in the last ``callback_expiry_days``."""
    return Q(first_window_start__lte=now) & _open_not_expired_q(now)


def callbacks_due_count(now: datetime) -> int:
    """How many callbacks are due now (the navigation's badge): one COUNT query."""
    return Callback.objects.filter(callbacks_due_q(now)).count()


def _count_sql(rows: QuerySet) -> tuple[str, tuple]:
    counted = rows.order_by().values(n=Func(F("pk"), function="COUNT"))
    sql, params = counted.query.sql_with_params()
    return sql, tuple(params)


def desk_badges(now: datetime) -> tuple[int, int]:
    """The navigation's two badges, callbacks due now (:func:`callbacks_due_count`) and
    messages waiting in the inbox (``inbox_waiting_count``), in one query: every page of
    the desk shows both, and a round trip costs more than either count."""
    due_sql, due_params = _count_sql(Callback.objects.filter(callbacks_due_q(now)))
    waiting_sql, waiting_params = _count_sql(InboundEmail.objects.filter(status__in=WAITING))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ({due_sql}), ({waiting_sql})", (*due_params, *waiting_params))
        due, waiting = cursor.fetchone()
    return due, waiting


@service
def callbacks_for(*, user: User, now: datetime) -> QuerySet[Callback]:
    """The callbacks of ``user``'s work: open and not expired, claimed by them (whenever the
    window), or claimed by nobody and due now. Support+ first, then by the first window."""
    mine = Q(claimed_by=user) & _open_not_expired_q(now)
    free = Q(claimed_by__isnull=True) & callbacks_due_q(now)
    return callbacks_open().filter(mine | free)
