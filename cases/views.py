"""The desk's pages: lookup, customers, cases as conversations with time entries (htmx),
the inbox of incoming e-mail, attachment downloads."""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from billing.selectors import posted_free_on_verified_error, quote, work_summary
from customers.forms import CustomerForm
from customers.models import Customer
from customers.selectors import customer_lookup, possible_duplicates, support_status
from customers.services import customer_create_with_contact
from q3helpdesk.roles import requires
from q3helpdesk.ui.views import TableListView

from . import callbacks, emails, selectors, services
from .filters import CallbackFilter, CaseFilter
from .forms import (
    AttemptForm,
    CallbackCancelForm,
    CallbackForm,
    CallbackWindowFormSet,
    CaseForm,
    EmailForm,
    InboxAssignForm,
    NoteForm,
    StatusForm,
    TimeEntryForm,
    VerifiedBugForm,
)
from .inbound import inbound_assign
from .mail_parse import quote_text, reply_subject
from .models import (
    Callback,
    CallbackAttempt,
    CallbackStatus,
    CannedReply,
    Case,
    CaseKind,
    CaseStatus,
    EmailAttachment,
    InboundEmail,
    SupportEmail,
    TimeEntry,
)
from .selectors import desk_users
from .tables import CallbackTable, CaseTable

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


# --- lookup and customers ---------------------------------------------------------------


@requires(READ)
@require_safe
def lookup(request: HttpRequest) -> HttpResponse:
    """One box for phone, e-mail, customer number or name; ``?phone=`` for the telephone."""
    phone_call = "phone" in request.GET
    q = request.GET.get("phone" if phone_call else "q", "")
    result = customer_lookup(q=q)
    hit = result.single_hit
    if hit is not None:
        url = reverse("customer_detail", args=[hit.customer.number])
        # Found through a contact: the customer page (and its new case) names the caller.
        return redirect(f"{url}?contact={hit.contact.pk}" if hit.contact else url)
    return render(
        request, "cases/lookup.html", {"result": result, "phone_call": phone_call, "q": q}
    )


@requires(READ)
@require_safe
def customer_detail(request: HttpRequest, number: str) -> HttpResponse:
    customer = get_object_or_404(Customer, number=number)
    page = selectors.customer_page(customer=customer, on=timezone.localdate())
    wanted = request.GET.get("contact", "")
    caller = next((c for c in page.contacts if str(c.pk) == wanted), None)
    return render(
        request,
        "cases/customer_detail.html",
        {"page": page, "customer": customer, "caller": caller},
    )


@requires(WORK)
def customer_new(request: HttpRequest) -> HttpResponse:
    caller = request.GET.get("phone", "")
    initial = {
        "phone": caller,
        "contact_phone": caller,
        "contact_email": request.GET.get("email", ""),
        "language": "fr",
    }
    form = CustomerForm(request.POST or None, initial=initial)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        duplicates = possible_duplicates(
            name=data["name"],
            postcode=data["postcode"],
            emails=[data["email"], data["contact_email"]],
            phones=[data["phone"], data["contact_phone"]],
        )
        if duplicates and not data["confirm_duplicate"]:
            form.add_error(None, _("This customer may already exist: check the list below."))
        else:
            try:
                customer = customer_create_with_contact(
                    contact=form.contact_data(), **form.customer_data()
                )
            except ValidationError as exc:
                _form_error(form, exc)
            else:
                messages.success(
                    request, _("Customer %(number)s created.") % {"number": customer.number}
                )
                return redirect("customer_detail", number=customer.number)
    return render(request, "cases/customer_form.html", {"form": form, "duplicates": duplicates})


# --- cases ---------------------------------------------------------------------------------


@requires(WORK)
def case_new(request: HttpRequest) -> HttpResponse:
    customer = get_object_or_404(Customer, number=request.GET.get("customer", ""))
    status = support_status(customer=customer, on=timezone.localdate())
    kind = CaseKind.CASE if status.eligible else CaseKind.LEAD
    caller = request.GET.get("contact", "")  # the contact the lookup found the caller by
    initial = {
        "kind": kind,
        "contact": int(caller) if caller.isascii() and caller.isdigit() else None,
    }
    form = CaseForm(request.POST or None, customer=customer, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_create(
                customer=customer,
                created_by=request.user,
                assignee=request.user,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            if request.GET.get("then") == "callback":
                return redirect("callback_new", pk=case.pk)
            return redirect("case_detail", pk=case.pk)
    return render(
        request,
        "cases/case_form.html",
        {"form": form, "customer": customer, "status": status, "kind": kind},
    )


def _case(pk: int) -> Case:
    return get_object_or_404(
        Case.objects.select_related("customer", "contact", "assignee", "created_by", "follows"),
        pk=pk,
    )


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


@requires(READ)
@require_safe
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(pk)
    return render(request, "cases/case_detail.html", _case_context(request, case))


@requires(WORK)
@require_POST
def time_entry_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(pk)
    form = TimeEntryForm(request.POST)
    if form.is_valid():
        try:
            services.time_entry_add(case=case, created_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            form = None  # a fresh form for the next entry
    if not request.htmx:  # htmx shows the new row in place; a full page says it in words
        if form is not None and form.errors:
            messages.error(request, " ".join(m for ms in form.errors.values() for m in ms))
        elif form is None:
            messages.success(request, _("Time logged."))
        return redirect("case_detail", pk=case.pk)
    return render(
        request, "cases/case_detail.html#time-entries", _time_context(request, case, form)
    )


@requires(WORK)
@require_POST
def time_entry_remove(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    case = _case(pk)
    entry = get_object_or_404(TimeEntry, pk=entry_pk, case=case)
    error = ""
    try:
        services.time_entry_remove(entry=entry, removed_by=request.user)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Time entry removed; it is reversed in the ledger."))
        return redirect("case_detail", pk=case.pk)
    context = _time_context(request, case)
    context["remove_error"] = error
    return render(request, "cases/case_detail.html#time-entries", context)


@requires(WORK)
@require_safe
def time_entry_quote(request: HttpRequest, pk: int) -> HttpResponse:
    """What the entry being typed would cost (htmx, on every change of the form)."""
    case = _case(pk)
    form = TimeEntryForm(request.GET)
    context = {"case": case}
    if not form.is_valid():
        # Why there is no price (a day in the future, minutes out of range…); nothing while
        # the minutes are not typed yet.
        if str(request.GET.get("minutes", "")).strip():
            context["quote_error"] = " ".join(
                f"{form.fields[name].label}: {m}"
                for name in ("minutes", "performed_on")
                for m in form.errors.get(name, [])
            )
    else:
        try:
            context["quote"] = quote(
                customer=case.customer,
                activity=services.charged_as(
                    case, form.cleaned_data["activity"], on=form.cleaned_data["performed_on"]
                ),
                minutes=form.cleaned_data["minutes"],
                on=form.cleaned_data["performed_on"],
                contact=case.contact,
                work_ref=case.reference,
                not_before=services.first_work_day(case),
            )
        except ValidationError as exc:
            context["quote_error"] = " ".join(exc.messages)
    return render(request, "cases/case_detail.html#quote", context)


@requires(WORK)
@require_POST
def case_status(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(pk)
    form = StatusForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose a status."))
        services.case_set_status(case=case, status=form.cleaned_data["status"], by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Status changed to “%(status)s”.")
            % {"status": CaseStatus(form.cleaned_data["status"]).label},
        )
    return redirect("case_detail", pk=case.pk)


@requires(WORK)
@require_POST
def case_take(request: HttpRequest, pk: int) -> HttpResponse:
    """Assign the case: to the member of the desk chosen, or to oneself."""
    case = _case(pk)
    assignee = request.user
    if request.POST.get("assignee"):
        chosen = request.POST["assignee"]
        assignee = (
            desk_users().filter(pk=int(chosen)).first()
            if chosen.isascii() and chosen.isdigit()
            else None
        )
        if assignee is None:
            messages.error(request, _("Cases can only be assigned to members of the desk."))
            return redirect("case_detail", pk=case.pk)
    try:
        services.case_assign(case=case, assignee=assignee, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Case assigned to %(name)s.")
            % {"name": assignee.get_full_name() or assignee.get_username()},
        )
    return redirect("case_detail", pk=case.pk)


@requires(WORK)
@require_POST
def case_verified_bug(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(pk)
    form = VerifiedBugForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Give the reference of the verified software error."))
        services.case_mark_verified_bug(
            case=case, bug_reference=form.cleaned_data["bug_reference"], by=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _(
                "Marked as verified software error %(ref)s: its support answers and data "
                "checks are free."
            )
            % {"ref": form.cleaned_data["bug_reference"]},
        )
    return redirect("case_detail", pk=case.pk)


@requires(WORK)
@require_POST
def case_verified_bug_undo(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(pk)
    _perform(
        request,
        lambda: services.case_unmark_verified_bug(case=case, by=request.user),
        _("The verified-software-error mark is taken back; the case is charged again."),
    )
    return redirect("case_detail", pk=case.pk)


class CaseListView(TableListView):
    permission_required = READ
    table_class = CaseTable
    filterset_class = CaseFilter
    template_name = "cases/case_list.html"
    export_name = "cases"

    def get_queryset(self):
        return selectors.cases_for_list()


# --- callbacks ------------------------------------------------------------------------------


class CallbackListView(TableListView):
    """Every callback, filtered by first window and by what became of it (audit, dashboard)."""

    permission_required = "cases.view_callback"
    table_class = CallbackTable
    filterset_class = CallbackFilter
    template_name = "cases/callback_list.html"
    export_name = "callbacks"

    def get_queryset(self):
        return Callback.objects.select_related("case__customer", "claimed_by").prefetch_related(
            "windows", Prefetch("attempts", queryset=CallbackAttempt.objects.select_related("by"))
        )


@requires(WORK)
def callback_new(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(pk)
    phone = case.contact.phone if case.contact and case.contact.phone else case.customer.phone
    form = CallbackForm(request.POST or None, initial={"phone": str(phone or "")})
    windows = CallbackWindowFormSet(request.POST or None, prefix="w")
    if request.method == "POST" and form.is_valid() and windows.is_valid():
        spans = [
            (w["day"], w["starts"], w["ends"]) for w in windows.cleaned_data if w and w.get("day")
        ]
        try:
            callbacks.callback_schedule(
                case=case, created_by=request.user, windows=spans, **form.cleaned_data
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Callback scheduled."))
            return redirect("case_detail", pk=case.pk)
    return render(
        request, "cases/callback_form.html", {"case": case, "form": form, "windows": windows}
    )


@requires(READ)
@require_safe
def callback_queue(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    return render(
        request,
        "cases/callback_queue.html",
        {
            "now": now,
            "waiting": Paginator(selectors.callbacks_waiting(now), 50).get_page(
                request.GET.get("page")
            ),
            "missed": Paginator(selectors.callbacks_missed(now), 50).get_page(
                request.GET.get("missed_page")
            ),
            "attempt_form": AttemptForm(),
            "cancel_form": CallbackCancelForm(),
            "can_work": request.user.has_perm(WORK),
        },
    )


def _back(request: HttpRequest, callback: Callback) -> HttpResponse:
    """Back to the page the action came from: the case, the home page or the queue."""
    back = request.POST.get("back")
    if back == "case":
        return redirect("case_detail", pk=callback.case_id)
    if back == "home":
        return redirect("home")
    return redirect("callback_queue")


@requires(WORK)
@require_POST
def callback_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    callback = get_object_or_404(Callback, pk=pk)
    form = CallbackCancelForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Say why the callback is cancelled."))
        callbacks.callback_cancel(callback=callback, user=request.user, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Callback of %(case)s cancelled; the reason is noted on the case.")
            % {"case": callback.case.reference},
        )
    return _back(request, callback)


@requires(WORK)
@require_POST
def callback_release(request: HttpRequest, pk: int) -> HttpResponse:
    callback = get_object_or_404(Callback, pk=pk)
    _perform(
        request,
        lambda: callbacks.callback_release(callback=callback, user=request.user),
        _("Callback of %(case)s released: a colleague can claim it.")
        % {"case": callback.case.reference},
    )
    return _back(request, callback)


@requires(WORK)
@require_POST
def callback_claim(request: HttpRequest, pk: int) -> HttpResponse:
    callback = get_object_or_404(Callback, pk=pk)
    _perform(
        request,
        lambda: callbacks.callback_claim(callback=callback, user=request.user),
        _("Callback claimed: it is yours to call."),
    )
    return _back(request, callback)


@requires(WORK)
@require_POST
def callback_attempt(request: HttpRequest, pk: int) -> HttpResponse:
    callback = get_object_or_404(Callback, pk=pk)
    form = AttemptForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose the outcome of the call."))
        callback = callbacks.callback_attempt(
            callback=callback, user=request.user, **form.cleaned_data
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(request, callback)
    if callback.status == CallbackStatus.DONE:
        messages.success(request, _("Customer reached: continue in the case."))
        return redirect("case_detail", pk=callback.case_id)
    messages.success(request, _("Attempt recorded with its note."))
    return _back(request, callback)


# --- support e-mails ------------------------------------------------------------------------


@requires(WORK)
@require_POST
def email_new(request: HttpRequest, pk: int) -> HttpResponse:
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
    messages.error(request, " ".join(m for ms in form.errors.values() for m in ms))
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
def note_add(request: HttpRequest, pk: int) -> HttpResponse:
    """An internal note on the case's timeline (never e-mailed)."""
    case = _case(pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.case_note_add(
                case=case, text=form.cleaned_data["text"], created_by=request.user
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Note added."))
            return redirect(reverse("case_detail", args=[case.pk]) + "#timeline-end")
    messages.error(request, " ".join(m for ms in form.errors.values() for m in ms))
    return render(request, "cases/case_detail.html", _case_context(request, case, note_form=form))


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


# --- attachments and raw messages ---------------------------------------------------------

UNSAFE_FILENAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def _download(stored, filename: str) -> FileResponse:
    """A stored file as a download, never shown inline: the sender chose its type and name."""
    try:
        handle = stored.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=UNSAFE_FILENAME.sub("_", filename).strip(" .") or "attachment",
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@requires(WORK)  # the desk's own mail: Infoline and Support only
@require_safe
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(EmailAttachment, pk=pk)
    return _download(attachment.file, attachment.filename)


@requires(WORK)  # the desk's own mail: Infoline and Support only
@require_safe
def inbound_raw(request: HttpRequest, pk: int) -> FileResponse:
    """The message exactly as received (.eml), whatever became of it."""
    email = get_object_or_404(InboundEmail, pk=pk)
    return _download(email.raw, f"message-{email.pk}.eml")


# --- the inbox ------------------------------------------------------------------------------


@requires(WORK)  # the desk's own mail: Infoline and Support only
@require_safe
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.inbox_messages(), 50).get_page(request.GET.get("page"))
    return render(request, "cases/inbox.html", {"page_obj": page})


def _inbox_context(request, email: InboundEmail, form: InboxAssignForm | None = None) -> dict:
    q = request.GET.get("q", "")
    return {
        "email": email,
        "attachments": list(email.attachments.all()),
        "form": form or InboxAssignForm(),
        "lookup_q": q,  # not "q": the navigation's lookup box would show it
        "result": customer_lookup(q=q) if q else None,
        "can_work": request.user.has_perm(WORK),
    }


def _inbound(pk: int) -> InboundEmail:
    return get_object_or_404(InboundEmail.objects.select_related("case", "customer"), pk=pk)


@requires(WORK)  # the desk's own mail: Infoline and Support only
@require_safe
def inbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    email = _inbound(pk)
    return render(request, "cases/inbox_detail.html", _inbox_context(request, email))


@requires(WORK)
@require_POST
def inbox_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Give a waiting message to a customer: it becomes a case, or a rental-switch lead."""
    email = _inbound(pk)
    form = InboxAssignForm(request.POST)
    if form.is_valid():
        try:
            case = inbound_assign(
                email=email, customer=form.cleaned_data["customer"], by=request.user
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            if case.kind == CaseKind.LEAD:
                messages.warning(
                    request,
                    _(
                        "No current rental licence: the message became the rental-switch"
                        " lead %(case)s."
                    )
                    % {"case": case.reference},
                )
            else:
                messages.success(
                    request, _("The message is now case %(case)s.") % {"case": case.reference}
                )
            return redirect("case_detail", pk=case.pk)
    return render(request, "cases/inbox_detail.html", _inbox_context(request, email, form))
