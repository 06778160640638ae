"""Support e-mails from the case: writing and sending one (or answering the customer's
message), canned replies, sending a failed e-mail again."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from q3helpdesk.roles import DeskRequest, requires

from .. import emails
from ..forms import EmailForm
from ..models import CannedReply, CaseKind, SupportEmail
from ._common import WORK, _case, _case_context, _form_error, _perform, _replied, _reply_form


@requires(WORK)
@require_POST
def email_new(request: DeskRequest, pk: int) -> HttpResponse:
    """Send an e-mail from the case; ``reply_to`` names the customer's message answered."""
    case = _case(pk)
    form = EmailForm(request.POST, case=case)
    if form.is_valid():
        try:
            emails.email_send(case=case, created_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("The e-mail is being sent."))
            return redirect("case_detail", pk=case.pk)
    # What was typed stays: the page comes back with the form and its errors.
    messages.error(request, " ".join(str(m) for ms in form.errors.values() for m in ms))
    return render(request, "cases/case_detail.html", _case_context(request, case, email_form=form))


@requires(WORK)
@require_safe
def email_form(request: HttpRequest, pk: int) -> HttpResponse:
    """The e-mail form (htmx): blank, or answering the message ``?reply_to=``."""
    case = _case(pk)
    if case.kind != CaseKind.CASE:
        raise Http404
    reply_to = _replied(case, request.GET.get("reply_to"))
    context = {
        "case": case,
        "email_form": _reply_form(case, reply_to),
        "canned_replies": list(
            CannedReply.objects.filter(active=True, language=case.customer.language)
        ),
    }
    return render(request, "cases/case_detail.html#email-form", context)


@requires(WORK)
@require_safe
def canned_reply_text(request: HttpRequest, pk: int, reply_pk: int) -> HttpResponse:
    """A canned reply with its placeholders filled for this case, as plain text (inserted
    into the e-mail being written by static/js/email_form.js)."""
    case = _case(pk)
    reply = get_object_or_404(CannedReply, pk=reply_pk, active=True)
    contact = case.contact
    credit = emails.credit_statement(
        customer=case.customer, on=timezone.localdate(), contact=contact
    )
    text = (
        reply.body.replace("{customer}", case.customer.name)
        .replace("{contact}", contact.name if contact else "")
        .replace("{credit}", credit)
    )
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response


@requires(WORK)
@require_POST
def email_retry(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_object_or_404(SupportEmail, pk=pk)
    _perform(
        request,
        lambda: emails.email_retry(email=email),
        _("The e-mail is queued to be sent again."),
    )
    return redirect("case_detail", pk=email.case_id)
