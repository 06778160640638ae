"""Private helpers that more than one module of the desk's pages needs: the permissions,
running a service from a button, and the case page's context (time entries, e-mail form)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation

from billing.selectors import posted_free_on_verified_error, work_summary
from customers.selectors import support_status

from .. import selectors
from ..forms import EmailForm, NoteForm, StatusForm, TimeEntryForm, VerifiedBugForm
from ..mail_parse import quote_text, reply_subject
from ..models import CannedReply, Case, CaseKind, InboundEmail, TimeEntry
from ..selectors import desk_users
from ..selectors.timeline import timeline_parts

READ = "cases.view_case"
WORK = "cases.change_case"


def _perform(request: HttpRequest, call, success: str) -> bool:
    """Run a service call from a button: show its error, or what it did."""
    try:
        call()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return False
    messages.success(request, success)
    return True


def _form_error(form, exc: ValidationError) -> None:
    for message in exc.messages:
        form.add_error(None, message)


def _case(pk: int, *, page: bool = False) -> Case:
    """The case ``pk``; for its page (``page``), with which parts of its timeline it has."""
    cases = Case.objects.select_related("customer", "contact", "assignee", "created_by", "follows")
    if page:
        cases = cases.annotate(**timeline_parts())
    return get_object_or_404(cases, pk=pk)


def _time_context(request, case: Case, form: TimeEntryForm | None = None) -> dict:
    entries = list(
        TimeEntry.objects.filter(case=case)
        .select_related("usage", "reversal", "created_by", "removed_by")
        .annotate(free_on_verified_error=posted_free_on_verified_error())
    )
    return {
        "case": case,
        "entries": entries,
        "summary": work_summary(customer=case.customer, work_ref=case.reference),
        "entry_form": form
        or TimeEntryForm(initial={"performed_on": timezone.localdate(), "activity": "support"}),
        "can_work": request.user.has_perm(WORK),
    }


def _reply_form(case: Case, reply_to: InboundEmail | None) -> EmailForm:
    """The e-mail form, prefilled to answer ``reply_to``: "Re: [C-n] …" and its text quoted."""
    if reply_to is None:
        return EmailForm(case=case)
    with translation.override(case.customer.language):  # the quote's header speaks to them
        quoted = quote_text(
            reply_to.text,
            author=reply_to.from_name or reply_to.from_address,
            sent=reply_to.sent_at or reply_to.received_at,
        )
    return EmailForm(
        case=case,
        initial={
            "subject": reply_subject(reply_to.subject or case.subject, case.reference),
            "body": f"\n\n{quoted}",
            "reply_to": reply_to.pk,
        },
    )


def _replied(case: Case, value) -> InboundEmail | None:
    """The message of ``case`` named by ``?reply_to=``; anything else answers nothing."""
    value = str(value or "")
    if not (value.isascii() and value.isdigit()):  # "²" is a digit too
        return None
    return case.inbound_emails.filter(pk=int(value)).first()


def _case_context(
    request, case: Case, email_form: EmailForm | None = None, note_form: NoteForm | None = None
) -> dict:
    context = _time_context(request, case)
    can_write = context["can_work"] and case.kind == CaseKind.CASE
    if email_form is None and can_write:
        email_form = _reply_form(case, _replied(case, request.GET.get("reply_to")))
    timeline = selectors.case_timeline(case, entries=context["entries"])
    context.update(
        {
            "status_form": StatusForm(initial={"status": case.status}),
            "bug_form": VerifiedBugForm(initial={"bug_reference": case.bug_reference}),
            "customer_status": support_status(customer=case.customer, on=timezone.localdate()),
            # The timeline has the callbacks with their windows already.
            "callbacks": [i.obj for i in reversed(timeline) if i.kind == "callback"][:20],
            "desk_users": list(desk_users()),
            "timeline": timeline,
            "email_form": email_form,
            "note_form": note_form or NoteForm(),
            "canned_replies": list(
                CannedReply.objects.filter(active=True, language=case.customer.language)
            )
            if can_write
            else [],
        }
    )
    return context
