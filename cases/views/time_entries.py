"""Time entries of a case (htmx): logging time, removing an entry, the price of the entry
being typed."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from billing.selectors import quote
from q3helpdesk.roles import DeskRequest, requires

from .. import services
from ..forms import TimeEntryForm
from ..models import TimeEntry
from ._common import WORK, _case, _form_error, _time_context


@requires(WORK)
@require_POST
def time_entry_add(request: DeskRequest, pk: int) -> HttpResponse:
    case = _case(pk)
    form: TimeEntryForm | None  # None once the time is logged
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
            messages.error(request, " ".join(str(m) for ms in form.errors.values() for m in ms))
        elif form is None:
            messages.success(request, _("Time logged."))
        return redirect("case_detail", pk=case.pk)
    return render(
        request, "cases/case_detail.html#time-entries", _time_context(request, case, form)
    )


@requires(WORK)
@require_POST
def time_entry_remove(request: DeskRequest, pk: int, entry_pk: int) -> HttpResponse:
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
    context: dict[str, object] = {"case": case}
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
