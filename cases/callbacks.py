"""Callbacks (R11): schedule in the customer's windows, claim, log attempts.

Writes here follow the services' rules (keyword-only, ValidationError, atomic); the module
is separate from ``cases.services`` to keep both readable.
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Contact
from customers.selectors import support_status
from q3helpdesk.guards import column_length, service

from .models import (
    AttemptOutcome,
    Callback,
    CallbackAttempt,
    CallbackStatus,
    CallbackWindow,
    Case,
    CaseKind,
    CaseNote,
)
from .search import case_search_refresh
from .selectors import normalise_phone

MAX_WINDOWS = 5
REASON_LENGTH = column_length(Callback, "reason")
CANCEL_REASON_LENGTH = column_length(Callback, "cancel_reason")
NOTE_LENGTH = column_length(CallbackAttempt, "note")


def _window(day: date, start: time, end: time) -> tuple[datetime, datetime]:
    if not isinstance(day, date) or not isinstance(start, time) or not isinstance(end, time):
        raise ValidationError(_("Give each window as a date with a start and an end time."))
    starts = timezone.make_aware(datetime.combine(day, start))
    ends = timezone.make_aware(datetime.combine(day, end))
    if ends <= starts:
        raise ValidationError(
            _("The window of %(day)s ends before it starts.") % {"day": f"{day:%d.%m.%Y}"}
        )
    if ends <= timezone.now():
        raise ValidationError(
            _("The window of %(day)s %(start)s–%(end)s is already over.")
            % {"day": f"{day:%d.%m.%Y}", "start": f"{start:%H:%M}", "end": f"{end:%H:%M}"}
        )
    return starts, ends


@service
@transaction.atomic
def callback_schedule(
    *,
    case: Case,
    phone: str,
    reason: str,
    windows: list[tuple[date, time, time]],
    contact: Contact | None = None,
    created_by: User | None = None,
) -> Callback:
    """Promise a call in one to five windows the customer gave (date, from, to)."""
    if not isinstance(case, Case) or case.pk is None:
        raise ValidationError(_("Choose an existing case."))
    case = Case.objects.select_related("customer", "contact").get(pk=case.pk)
    if case.kind != CaseKind.CASE or not case.is_active:
        raise ValidationError(_("Callbacks are scheduled on an open support case."))
    status = support_status(customer=case.customer, on=timezone.localdate())
    if not status.eligible:
        raise ValidationError(_("No support can be given: %(reason)s") % {"reason": status.reason})
    number = normalise_phone(phone if isinstance(phone, str) else "")
    if number is None:
        raise ValidationError(_("Give a valid phone number to call back."))
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError(_("Say why the customer wants to be called back."))
    if len(reason.strip()) > REASON_LENGTH:
        raise ValidationError(
            _("The reason has at most %(max)s characters.") % {"max": REASON_LENGTH}
        )
    if not isinstance(windows, list | tuple) or not windows:
        raise ValidationError(_("Give at least one window in which the customer can be reached."))
    if len(windows) > MAX_WINDOWS:
        raise ValidationError(_("Give at most %(max)s windows.") % {"max": MAX_WINDOWS})
    spans = []
    for window in windows:
        if not isinstance(window, list | tuple) or len(window) != 3:
            raise ValidationError(_("Give each window as a date with a start and an end time."))
        spans.append(_window(*window))
    spans.sort()
    # Priority is the Support+ of today: a subscription that ended gives none.
    registered = status.is_registered(contact or case.contact)
    callback = Callback.objects.create(
        case=case,
        phone=number,
        reason=reason.strip(),
        support_plus=registered,
        first_window_start=spans[0][0],
        first_window_end=spans[0][1],
        last_window_end=max(end for _, end in spans),
        created_by=created_by,
    )
    CallbackWindow.objects.bulk_create(
        CallbackWindow(callback=callback, starts_at=s, ends_at=e) for s, e in spans
    )
    return callback


def _open(callback: Callback) -> Callback:
    callback = Callback.objects.select_for_update().get(pk=callback.pk)
    if callback.status != CallbackStatus.OPEN:
        raise ValidationError(_("This callback is closed."))
    return callback


@service
@transaction.atomic
def callback_claim(*, callback: Callback, user: User) -> Callback:
    """Take a callback: the others see who calls."""
    callback = _open(callback)
    if callback.claimed_by_id not in (None, user.pk):
        holder = callback.claimed_by
        assert holder is not None  # claimed_by_id is set
        raise ValidationError(
            _("%(name)s has already claimed this callback.")
            % {"name": holder.get_full_name() or holder.username}
        )
    callback.claimed_by = user
    callback.claimed_at = callback.claimed_at or timezone.now()
    callback.save(update_fields=["claimed_by", "claimed_at"])
    return callback


@service
@transaction.atomic
def callback_release(*, callback: Callback, user: User | None = None) -> Callback:
    """Give a claimed callback back to the queue, so that a colleague can take it.

    Anyone at the desk may release a claim, not only its holder: a colleague who went home
    must not block the customer's call.
    """
    callback = _open(callback)
    if callback.claimed_by_id is None:
        raise ValidationError(_("Nobody has claimed this callback."))
    callback.claimed_by, callback.claimed_at = None, None
    callback.save(update_fields=["claimed_by", "claimed_at"])
    return callback


def _windows_text(callback: Callback) -> str:
    return ", ".join(
        f"{timezone.localtime(w.starts_at):%d.%m.%Y %H:%M}–{timezone.localtime(w.ends_at):%H:%M}"
        for w in callback.windows.all()
    )


def _cancel(callback: Callback, reason: str, user: User | None) -> Callback:
    callback.status, callback.closed_at = CallbackStatus.CANCELLED, timezone.now()
    callback.cancel_reason, callback.cancelled_by = reason, user
    callback.save(update_fields=["status", "closed_at", "cancel_reason", "cancelled_by"])
    # The reason goes on the case as an internal note: the case's timeline tells why.
    CaseNote.objects.create(
        case_id=callback.case_id,
        text=_("Callback to %(phone)s (%(windows)s) cancelled: %(reason)s")
        % {"phone": str(callback.phone), "windows": _windows_text(callback), "reason": reason},
        created_by=user,
    )
    case_search_refresh(case=callback.case)  # the note is searchable like any other
    return callback


@service(own_checks=("reason",))
@transaction.atomic
def callback_cancel(*, callback: Callback, reason: str, user: User | None = None) -> Callback:
    """Cancel an open callback, saying why (the customer called again, reached otherwise…)."""
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError(_("Say why the callback is cancelled."))
    if len(reason.strip()) > CANCEL_REASON_LENGTH:
        raise ValidationError(
            _("The reason has at most %(max)s characters.") % {"max": CANCEL_REASON_LENGTH}
        )
    return _cancel(_open(callback), reason.strip(), user)


@service
def callbacks_cancel_open(*, case: Case, reason: str, user: User | None = None) -> int:
    """Cancel every open callback of ``case`` (it was resolved or closed): how many.

    Called inside the transaction that changes the case's status.
    """
    open_ = case.callbacks.select_for_update().filter(status=CallbackStatus.OPEN)
    cancelled = 0
    for callback in open_.prefetch_related("windows"):
        _cancel(callback, reason, user)
        cancelled += 1
    return cancelled


@service
@transaction.atomic
def callback_attempt(
    *, callback: Callback, outcome: str, note: str = "", user: User | None = None
) -> Callback:
    """Log a call attempt; "reached" closes the callback (the work continues in the case)."""
    if outcome not in AttemptOutcome.values:
        raise ValidationError(_("Choose the outcome of the call."))
    if not isinstance(note, str) or len(note.strip()) > NOTE_LENGTH:
        raise ValidationError(
            _("The note is text of at most %(max)s characters.") % {"max": NOTE_LENGTH}
        )
    callback = _open(callback)
    now = timezone.now()
    CallbackAttempt.objects.create(callback=callback, outcome=outcome, note=note.strip(), by=user)
    fields = []
    if callback.first_attempt_at is None:
        callback.first_attempt_at = now
        fields.append("first_attempt_at")
    if callback.claimed_by_id is None and user is not None:
        callback.claimed_by, callback.claimed_at = user, now
        fields += ["claimed_by", "claimed_at"]
    if outcome == AttemptOutcome.REACHED:
        callback.status, callback.closed_at = CallbackStatus.DONE, now
        fields += ["status", "closed_at"]
    if fields:
        callback.save(update_fields=fields)
    return callback
