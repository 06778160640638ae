"""The inbox: incoming e-mails not yet on a case, and assigning one to a customer."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from customers.selectors import customer_lookup
from q3helpdesk.roles import DeskRequest, requires

from .. import selectors
from ..forms import InboxAssignForm
from ..inbound import inbound_assign
from ..models import CaseKind, InboundEmail
from ._common import WORK, _form_error


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
def inbox_assign(request: DeskRequest, pk: int) -> HttpResponse:
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
