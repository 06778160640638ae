"""Callbacks (R11): scheduling one from a case, the queue, and claiming, attempting,
releasing and cancelling a callback; the list of all callbacks."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from q3helpdesk.roles import DeskRequest, requires
from q3helpdesk.ui.pages import ids_first
from q3helpdesk.ui.views import TableListView

from .. import callbacks, selectors
from ..filters import CallbackFilter
from ..forms import AttemptForm, CallbackCancelForm, CallbackForm, CallbackWindowFormSet
from ..models import Callback, CallbackStatus
from ..selectors.callbacks import callback_rows_prefetch, callbacks_for_rows, callbacks_with_windows
from ..tables import CallbackTable
from ._common import READ, WORK, _case, _form_error, _perform


class CallbackListView(TableListView):
    """Every callback, filtered by first window and by what became of it (audit, dashboard)."""

    permission_required = "cases.view_callback"
    table_class = CallbackTable
    filterset_class = CallbackFilter
    template_name = "cases/callback_list.html"
    export_name = "callbacks"

    def get_queryset(self):
        rows = callbacks_for_rows(Callback.objects.all())
        return ids_first(rows.prefetch_related(*callback_rows_prefetch()))


@requires(WORK)
def callback_new(request: DeskRequest, pk: int) -> HttpResponse:
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


def _queue_page(callbacks, number) -> Page:
    """A page of the queue: the callbacks with what their rows show, without their windows
    and attempts (read for both parts of the queue at once)."""
    return Paginator(callbacks_for_rows(callbacks.prefetch_related(None)), 50).get_page(number)


@requires(READ)
@require_safe
def callback_queue(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    waiting = _queue_page(selectors.callbacks_waiting(now), request.GET.get("page"))
    missed = _queue_page(selectors.callbacks_missed(now), request.GET.get("missed_page"))
    callbacks_with_windows([*waiting, *missed])
    return render(
        request,
        "cases/callback_queue.html",
        {
            "now": now,
            "waiting": waiting,
            "missed": missed,
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
def callback_cancel(request: DeskRequest, pk: int) -> HttpResponse:
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
def callback_release(request: DeskRequest, pk: int) -> HttpResponse:
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
def callback_claim(request: DeskRequest, pk: int) -> HttpResponse:
    callback = get_object_or_404(Callback, pk=pk)
    _perform(
        request,
        lambda: callbacks.callback_claim(callback=callback, user=request.user),
        _("Callback claimed: it is yours to call."),
    )
    return _back(request, callback)


@requires(WORK)
@require_POST
def callback_attempt(request: DeskRequest, pk: int) -> HttpResponse:
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
