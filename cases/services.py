"""Writes of the desk: cases and their time entries (R1, R2, R5–R9 through billing)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import VERIFIED_ERROR, Tariff
from billing.scope import customer_locked, posting_scope
from billing.selectors import (
    free_on_verified_error,
    last_invoiced_day,
    posted_free_on_verified_error,
    tariff_in_force,
)
from billing.services import record_usage, usage_reverse
from customers.models import Contact, Customer
from customers.selectors import support_status
from q3helpdesk.guards import service

from .callbacks import callbacks_cancel_open
from .models import (
    ACTIVE_STATUSES,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseKind,
    CaseNote,
    CaseStatus,
    Channel,
    TimeEntry,
)
from .rollups import rollup_case_opened, rollup_case_resolution
from .search import case_search_order_refresh, case_search_refresh, case_search_time_note_added

# Which status may follow which (a closed case stays closed; a resolved one may reopen).
TRANSITIONS = {
    CaseStatus.OPEN: {CaseStatus.WAITING, CaseStatus.RESOLVED, CaseStatus.CLOSED},
    CaseStatus.WAITING: {CaseStatus.OPEN, CaseStatus.RESOLVED, CaseStatus.CLOSED},
    CaseStatus.RESOLVED: {CaseStatus.OPEN, CaseStatus.CLOSED},
    CaseStatus.CLOSED: set(),
}


def _fmt(day: date) -> str:
    return f"{day:%d.%m.%Y}"


@service
def case_opening_check(*, customer: Customer, opened_on: date) -> date:
    """R13: the day a case was received is today, or a few days back for a call recorded
    late (the tariff's setting), never in a month already invoiced for the customer."""
    if not isinstance(opened_on, date) or isinstance(opened_on, datetime):
        raise ValidationError(_("The day the case was received must be a date."))
    today = timezone.localdate()
    if opened_on > today:
        raise ValidationError(_("A case cannot be received on a day in the future."))
    days = tariff_in_force(on=today).backdating_days
    earliest = today - timedelta(days=days)
    if opened_on < earliest:
        raise ValidationError(
            _(
                "A case can be dated back at most %(days)s days, to %(earliest)s; record work"
                " received earlier on a case received today."
            )
            % {"days": days, "earliest": _fmt(earliest)}
        )
    if opened_on == today:
        return opened_on  # today is never dated back, whatever was invoiced already
    invoiced = last_invoiced_day(customer=customer)
    if invoiced is not None and opened_on <= invoiced:
        raise ValidationError(
            _(
                "The customer is invoiced up to %(day)s; a case cannot be dated into an"
                " invoiced month (received on %(next)s at the earliest)."
            )
            % {"day": _fmt(invoiced), "next": _fmt(invoiced + timedelta(days=1))}
        )
    return opened_on


def first_work_day(case: Case) -> date:
    """R13: the earliest day work on ``case`` may be dated today: the day the case was
    received, but never more than the tariff's days back (time is logged when it is done)
    nor into a month already invoiced — so no entry ever reaches credit that has expired."""
    today = timezone.localdate()
    first = max(case.opened_on, today - timedelta(days=tariff_in_force(on=today).backdating_days))
    invoiced = last_invoiced_day(customer=case.customer)
    if invoiced is not None:
        first = max(first, invoiced + timedelta(days=1))
    return min(first, today)


def _text(value, label: str, max_length: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(_("%(field)s must be text.") % {"field": label})
    value = value.strip()
    if required and not value:
        raise ValidationError(_("%(field)s is required.") % {"field": label})
    if len(value) > max_length:
        raise ValidationError(
            _("%(field)s has at most %(max)s characters.") % {"field": label, "max": max_length}
        )
    return value


@service
@transaction.atomic
def case_create(
    *,
    customer: Customer,
    channel: str,
    subject: str,
    description: str = "",
    contact: Contact | None = None,
    kind: str = CaseKind.CASE,
    created_by: User | None = None,
    assignee: User | None = None,
    opened_on: date | None = None,
) -> Case:
    """Open a case (or record a rental-switch lead) for a customer.

    A support case needs a current rental licence on the day it is received (R1); without
    one only a lead can be recorded. ``opened_on`` is that day: today, or a few days back
    for a call recorded late (R13, :func:`case_opening_check`). The Support+ line is for
    registered Support+ persons, whose cases are marked so that they are handled first (R7).
    """
    if not isinstance(customer, Customer) or customer.pk is None:
        raise ValidationError(_("Choose an existing customer."))
    if channel not in Channel.values:
        raise ValidationError(_("Choose a channel."))
    if kind not in CaseKind.values:
        raise ValidationError(_("Choose whether this is a support case or a lead."))
    if contact is not None and (
        not isinstance(contact, Contact) or contact.customer_id != customer.pk
    ):
        raise ValidationError(_("The contact is not a contact of this customer."))
    subject = _text(subject, _("The subject"), 200, required=True)
    description = _text(description, _("The description"), 10_000)

    if opened_on is None:
        opened_on = timezone.localdate()
    else:
        opened_on = case_opening_check(customer=customer, opened_on=opened_on)
    status = support_status(customer=customer, on=opened_on)
    if kind == CaseKind.CASE and not status.eligible:
        raise ValidationError(
            _("Support cannot be given: %(reason)s Record a rental-switch lead instead.")
            % {"reason": status.reason}
        )
    if kind == CaseKind.LEAD and status.eligible:
        raise ValidationError(
            _("The customer has a current rental licence: open a support case instead.")
        )
    registered = status.is_registered(contact)
    if channel == Channel.SUPPORT_PLUS and not registered:
        raise ValidationError(
            _("The Support+ direct line is for the registered persons of a Support+ subscription.")
        )
    case = Case.objects.create(
        customer=customer,
        contact=contact,
        kind=kind,
        channel=channel,
        subject=subject,
        description=description,
        opened_on=opened_on,
        support_plus=registered and kind == CaseKind.CASE,
        created_by=created_by,
        assignee=assignee,
    )
    case_search_refresh(case=case)
    rollup_case_opened(case)
    return case


def _move(case: Case, status: str, by: User | None = None) -> None:
    """Set the status with its instants and record who did it (the case's timeline)."""
    old, resolved_before = case.get_status_display(), case.resolved_at
    case.status = status
    now = timezone.now()
    if status == CaseStatus.RESOLVED:
        case.resolved_at = now
    elif status == CaseStatus.OPEN:
        case.resolved_at = case.closed_at = None
    if status == CaseStatus.CLOSED:
        case.closed_at = now
    case.save(update_fields=["status", "resolved_at", "closed_at", "updated_at"])
    case_search_order_refresh(case=case)  # the search sorts on its copy of the urgency
    rollup_case_resolution(case, resolved_before)
    if status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):  # nobody calls back a done case
        reason = _("case resolved") if status == CaseStatus.RESOLVED else _("case closed")
        callbacks_cancel_open(case=case, reason=reason, user=by)
    CaseEvent.objects.create(
        case=case, kind=CaseEventKind.STATUS, old=old, new=str(CaseStatus(status).label), by=by
    )


@service
@transaction.atomic
def case_set_status(*, case: Case, status: str, by: User | None = None) -> Case:
    """Move a case along open → waiting for customer → resolved → closed."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if status not in CaseStatus.values:
        raise ValidationError(_("Unknown status."))
    if status == case.status:
        return case
    if status not in TRANSITIONS[CaseStatus(case.status)]:
        raise ValidationError(
            _("A case that is “%(current)s” cannot become “%(new)s”.")
            % {"current": case.get_status_display(), "new": CaseStatus(status).label}
        )
    _move(case, status, by)
    return case


@service
@transaction.atomic
def case_reopen_by_reply(*, case: Case) -> Case:
    """The customer wrote again on a resolved (or recently closed) case: it is open again
    (R15). Nobody clicked: the timeline shows the change without a name."""
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("customer", "contact")
        .get(pk=case.pk)
    )
    if case.status != CaseStatus.OPEN:
        _move(case, CaseStatus.OPEN)  # also "waiting for customer": the customer answered
    return case


@service
@transaction.atomic
def case_follow_up(*, case: Case, subject: str) -> Case:
    """A reply to a case closed long ago: a new case of the same kind, customer and
    contact that follows the old one (R15); the old one stays closed."""
    old = Case.objects.select_related("customer", "contact").get(pk=case.pk)
    status = support_status(customer=old.customer, on=timezone.localdate())
    kind = CaseKind.CASE if status.eligible else CaseKind.LEAD
    subject = (subject or "").strip() or old.subject
    new = case_create(
        customer=old.customer,
        contact=old.contact,
        channel=Channel.EMAIL,
        subject=subject if len(subject) <= 200 else subject[:199] + "…",
        kind=kind,
    )
    new.follows = old
    new.save(update_fields=["follows"])
    CaseEvent.objects.create(case=old, kind=CaseEventKind.FOLLOW_UP, new=new.reference)
    return new


def _person(user: User | None) -> str:
    return (user.get_full_name() or user.get_username())[:200] if user is not None else ""


@service
@transaction.atomic
def case_assign(*, case: Case, assignee: User | None, by: User | None = None) -> Case:
    """Give a case to a member of the desk (or to nobody with ``assignee=None``)."""
    if assignee is not None and not (assignee.is_active and assignee.has_perm("cases.change_case")):
        raise ValidationError(_("Cases can only be assigned to members of the desk."))
    case = Case.objects.select_for_update(of=("self",)).select_related("assignee").get(pk=case.pk)
    if case.assignee_id == (assignee.pk if assignee is not None else None):
        return case
    before = case.assignee
    case.assignee = assignee
    case.save(update_fields=["assignee", "updated_at"])
    CaseEvent.objects.create(
        case=case,
        kind=CaseEventKind.ASSIGNED,
        old=_person(before),
        new=_person(assignee),
        by=by,
    )
    return case


def _lock_case(case) -> Case:
    """Lock the case's customer, then the case: the order every write on a case's time takes
    (billing locks the customer to post), so that two desks never deadlock and nobody posts
    on a case read before another desk changed it."""
    if not isinstance(case, Case) or case.pk is None:
        raise ValidationError(_("Choose an existing case."))
    of_case = Case.objects.filter(pk=case.pk).order_by().values("customer_id")
    if not Customer.objects.select_for_update().filter(pk=Subquery(of_case)).exists():
        Case.objects.get(pk=case.pk)  # the case is gone: its DoesNotExist says so
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("customer", "contact")
        .get(pk=case.pk)
    )
    customer_locked(case.customer)  # record_usage in this posting scope need not lock again
    return case


def charged_as(case: Case, activity: str, *, on: date, tariff: Tariff | None = None) -> str:
    """The activity the ledger charges for work done on ``on``: on a case marked as a
    verified software error, the activities the tariff makes free on one (support and
    data checks) are posted as the verified error (R9); everything else keeps its rate.

    ``tariff`` is the tariff in force on ``on`` when the caller has it already (the bulk
    demo seeding); else it is read."""
    if case.verified_bug_at is None:
        return activity
    if tariff is not None:
        free = tariff.activity(activity).free_on_verified_error
    else:
        free = free_on_verified_error(activity=activity, on=on)
    return VERIFIED_ERROR if free else activity


def _repost(case: Case, entries: list[TimeEntry], reason: str) -> None:
    """Reverse the postings of ``entries`` and post them again as the case now charges them.

    All reversals first (latest first), then the new postings in date order, so that the
    credit goes back before it is drawn again and the R5 rounding works on each activity's
    new total. The ledger keeps both; each entry points to its new posting.
    """
    for entry in sorted(entries, key=lambda e: (e.performed_on, e.pk), reverse=True):
        usage_reverse(usage=entry.usage, reason=reason)
    for entry in sorted(entries, key=lambda e: (e.performed_on, e.pk)):
        old = entry.usage
        entry.usage = record_usage(
            customer=case.customer,
            activity=charged_as(case, entry.activity, on=entry.performed_on),
            minutes=entry.minutes,
            performed_on=entry.performed_on,
            work_ref=case.reference,
            contact=old.contact,
            label=old.label,
            performed_by=old.performed_by,
            repost=True,
        )
        entry.save(update_fields=["usage"])


def _live_entries(case: Case):
    """Time entries not removed whose activity a verified error makes free (R9), with
    their postings; those already invoiced stay as invoiced (the invoice cannot change)
    and are left out."""
    return list(
        case.time_entries.filter(
            posted_free_on_verified_error(),
            reversal__isnull=True,
            usage__invoiced_at__isnull=True,
        )
        .select_related("usage__contact", "usage__performed_by")
        .order_by("performed_on", "pk")
    )


@service
@transaction.atomic
def case_mark_verified_bug(*, case: Case, bug_reference: str, by: User | None = None) -> Case:
    """Mark the case as a software error verified by Q3 (R9).

    Its support answers and data checks become free, also those logged before the marking
    as long as they are not invoiced: their postings are reversed (the credit they drew
    goes back) and posted again as free. Training, form adaptations and programming keep
    their rates; time already invoiced stays as invoiced.
    """
    bug_reference = _text(bug_reference, _("The bug reference"), 64, required=True)
    case = _lock_case(case)
    if case.kind != CaseKind.CASE:
        raise ValidationError(_("A rental-switch lead has no software error to verify."))
    before = case.bug_reference
    case.bug_reference = bug_reference
    case.verified_bug_at = case.verified_bug_at or timezone.now()
    case.save(update_fields=["bug_reference", "verified_bug_at", "updated_at"])
    CaseEvent.objects.create(
        case=case, kind=CaseEventKind.VERIFIED_BUG, old=before, new=bug_reference, by=by
    )
    charged = [e for e in _live_entries(case) if e.usage.activity != VERIFIED_ERROR]
    _repost(
        case,
        charged,
        _("Verified software error %(bug)s: free") % {"bug": bug_reference},
    )
    return case


@service
@transaction.atomic
def case_unmark_verified_bug(*, case: Case, by: User | None = None) -> Case:
    """Take the verified-software-error mark back (a wrong click): the support answers and
    data checks made free by it are charged again as usual, through the ledger (R9)."""
    case = _lock_case(case)
    if case.verified_bug_at is None:
        raise ValidationError(_("This case is not marked as a verified software error."))
    before = case.bug_reference
    case.bug_reference = ""
    case.verified_bug_at = None
    case.save(update_fields=["bug_reference", "verified_bug_at", "updated_at"])
    CaseEvent.objects.create(case=case, kind=CaseEventKind.VERIFIED_BUG, old=before, by=by)
    free = [e for e in _live_entries(case) if e.usage.activity == VERIFIED_ERROR]
    _repost(case, free, _("Not a verified software error: charged again"))
    return case


@service
@transaction.atomic
def time_entry_add(
    *,
    case: Case,
    activity: str,
    minutes: int,
    performed_on: date,
    note: str = "",
    created_by: User | None = None,
) -> TimeEntry:
    """Log time on a case: billing charges it (``record_usage``) under the case reference.

    The work is dated from the day the case was received to today (R13); on a verified
    software error support and data checks are free (R9).
    """
    with posting_scope():  # today's tariff and the customer's lock read once
        case = _lock_case(case)
        if case.kind != CaseKind.CASE:
            raise ValidationError(
                _("A rental-switch lead is never charged: no time can be logged.")
            )
        if case.status not in ACTIVE_STATUSES:
            raise ValidationError(_("Reopen the case before logging more time."))
        note = _text(note, _("The note"), 200)
        not_before = first_work_day(case)
        usage = record_usage(
            customer=case.customer,
            activity=charged_as(case, activity, on=performed_on),
            minutes=minutes,
            performed_on=performed_on,
            work_ref=case.reference,
            contact=case.contact,
            label=case.subject[:200],
            performed_by=created_by,
            not_before=not_before,
        )
    entry = TimeEntry.objects.create(
        case=case,
        usage=usage,
        activity=activity,
        minutes=minutes,
        performed_on=performed_on,
        note=note,
        created_by=created_by,
    )
    case_search_time_note_added(case_id=case.pk, text=note)  # nothing for no note
    return entry


@service
@transaction.atomic
def time_entry_remove(
    *, entry: TimeEntry, removed_by: User | None = None, reason: str = ""
) -> TimeEntry:
    """Take a time entry back: billing posts the reversal (refused once invoiced)."""
    if not isinstance(entry, TimeEntry) or entry.pk is None:
        raise ValidationError(_("Choose an existing time entry."))
    _lock_case(Case(pk=TimeEntry.objects.values_list("case_id", flat=True).get(pk=entry.pk)))
    entry = TimeEntry.objects.select_for_update().select_related("usage").get(pk=entry.pk)
    if entry.reversal_id is not None:
        raise ValidationError(_("This time entry has already been removed."))
    entry.reversal = usage_reverse(usage=entry.usage, reason=reason)
    entry.removed_by = removed_by
    entry.save(update_fields=["reversal", "removed_by"])
    return entry


@service
@transaction.atomic
def case_note_add(*, case: Case, text: str, created_by: User | None = None) -> CaseNote:
    """An internal note on the case: for the staff only, never e-mailed."""
    if not isinstance(case, Case) or case.pk is None:
        raise ValidationError(_("Choose an existing case."))
    text = _text(text, _("The note"), 10_000, required=True)
    note = CaseNote.objects.create(case=case, text=text, created_by=created_by)
    case_search_refresh(case=case)
    return note
