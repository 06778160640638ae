"""The case pages: the list, a new case, the case with its timeline, and what the desk
does to a case (status, assignee, verified software error, internal notes)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from customers.models import Customer
from customers.selectors import support_status
from q3helpdesk.roles import DeskRequest, requires
from q3helpdesk.ui.views import TableListView

from .. import selectors, services
from ..filters import CaseFilter
from ..forms import CaseForm, NoteForm, StatusForm, VerifiedBugForm
from ..models import CaseKind, CaseStatus
from ..selectors import desk_users
from ..tables import CaseTable
from ._common import READ, WORK, _case, _case_context, _form_error, _perform


@requires(WORK)
def case_new(request: DeskRequest) -> HttpResponse:
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


@requires(READ)
@require_safe
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(pk, page=True)
    return render(request, "cases/case_detail.html", _case_context(request, case))


@requires(WORK)
@require_POST
def case_status(request: DeskRequest, pk: int) -> HttpResponse:
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
def case_take(request: DeskRequest, pk: int) -> HttpResponse:
    """Assign the case: to the member of the desk chosen, or to oneself."""
    case = _case(pk)
    assignee = request.user
    if request.POST.get("assignee"):
        chosen = request.POST["assignee"]
        member = (
            desk_users().filter(pk=int(chosen)).first()
            if chosen.isascii() and chosen.isdigit()
            else None
        )
        if member is None:
            messages.error(request, _("Cases can only be assigned to members of the desk."))
            return redirect("case_detail", pk=case.pk)
        assignee = member
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
def case_verified_bug(request: DeskRequest, pk: int) -> HttpResponse:
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
def case_verified_bug_undo(request: DeskRequest, pk: int) -> HttpResponse:
    case = _case(pk)
    _perform(
        request,
        lambda: services.case_unmark_verified_bug(case=case, by=request.user),
        _("The verified-software-error mark is taken back; the case is charged again."),
    )
    return redirect("case_detail", pk=case.pk)


# What the case list neither shows nor exports, left in the database: loading it for 50
# rows parsed some 400 dates and 100 phone numbers and read every description.
LIST_DEFERRED = (
    *("description", "bug_reference", "opened_on", "updated_at"),
    *("verified_bug_at", "resolved_at", "closed_at"),
    *("customer__phone", "customer__created_at", "contact__phone"),
    *("assignee__password", "assignee__last_login", "assignee__date_joined"),
)


class CaseListView(TableListView):
    permission_required = READ
    table_class = CaseTable
    filterset_class = CaseFilter
    template_name = "cases/case_list.html"
    export_name = "cases"

    def get_queryset(self):
        return selectors.cases_for_list().defer(*LIST_DEFERRED)

    def get_table_pagination(self, table):
        """A text search is counted up to ``RANKED_MATCHES`` (its order depends on it, see
        ``case_search_in_order``); the paginator takes that count as its own for every page
        within it, and counts on from a page past it."""
        paginate = super().get_table_pagination(table)
        matches = self.filterset.search_matches
        if paginate is not False and matches is not None:
            paginate.update(bound=matches.bound, counted=matches.counted)
        return paginate


@requires(WORK)
@require_POST
def note_add(request: DeskRequest, pk: int) -> HttpResponse:
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
    messages.error(request, " ".join(str(m) for ms in form.errors.values() for m in ms))
    return render(request, "cases/case_detail.html", _case_context(request, case, note_form=form))
