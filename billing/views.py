"""Billing pages: the ledger audit (read-only) and invoices (Billing works, Manager reads)."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from q3helpdesk.roles import DeskRequest, requires
from q3helpdesk.ui.views import TableListView

from . import selectors, services
from .filters import CreditGrantFilter, InvoiceFilter, UsageFilter
from .forms import InvoiceBulkIssueForm, InvoiceCancelForm, InvoiceIssueForm, InvoiceRunForm
from .models import Invoice, InvoiceLine, InvoiceRun
from .tables import (
    INVOICE_STATUS_CHOICES,
    CreditGrantTable,
    InvoiceTable,
    UsageTable,
    invoice_status_label,
)


def _bounded_totals(filterset, bounds: tuple[str, ...], totals):
    """The totals of a filtered list, only where a filter bounds it: a start date (the
    rows end today) or one customer's, case's or invoice's rows. Without one, summing
    could run over every row of years (``None``: the page asks for a start date)."""
    if not filterset.is_bound or not filterset.is_valid():
        return None
    if not any(filterset.form.cleaned_data.get(name) for name in bounds):
        return None
    return totals(filterset.qs)


class LedgerView(TableListView):
    permission_required = "billing.view_usage"
    table_class = UsageTable
    filterset_class = UsageFilter
    template_name = "billing/ledger.html"
    export_name = "ledger"

    def get_queryset(self):
        return selectors.ledger_usages()

    def default_filters(self) -> dict[str, str]:
        """This month's postings: the ledger holds years of them."""
        return {"performed_from": timezone.localdate().replace(day=1).isoformat()}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["totals"] = _bounded_totals(
            self.filterset, ("performed_from", "customer", "work_ref"), selectors.ledger_totals
        )
        return context


class CreditGrantListView(TableListView):
    permission_required = "billing.view_creditgrant"
    table_class = CreditGrantTable
    filterset_class = CreditGrantFilter
    template_name = "billing/grants.html"
    export_name = "credit-grants"

    def get_queryset(self):
        return selectors.grants_with_use()

    def default_filters(self) -> dict[str, str]:
        """The credit valid today: past years' grants stay a filter away."""
        return {"valid_on": timezone.localdate().isoformat()}


# --- invoices ---------------------------------------------------------------------------

READ_INVOICES = "billing.view_invoice"
WORK_INVOICES = "billing.change_invoice"


def _error(request, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _form_invalid(form) -> ValidationError:
    return ValidationError([m for ms in form.errors.values() for m in ms])


class InvoiceListView(TableListView):
    permission_required = READ_INVOICES
    table_class = InvoiceTable
    filterset_class = InvoiceFilter
    template_name = "billing/invoices.html"
    export_name = "invoices"

    def get_queryset(self):
        return selectors.invoices()

    def default_filters(self) -> dict[str, str]:
        """The invoices of last month's run and later (the month-end work)."""
        last_month = timezone.localdate().replace(day=1) - timedelta(days=1)
        return {"period_from": last_month.replace(day=1).isoformat()}

    def get_filterset(self, filterset_class):
        filterset = super().get_filterset(filterset_class)
        # The status choices read as the table does ("Annulée", not the callbacks' "Annulé").
        filterset.filters["status"].extra["choices"] = INVOICE_STATUS_CHOICES
        return filterset

    def get_table_kwargs(self):
        # The drafts' check boxes (issue several at once) only for those who may issue.
        if self.request.user.has_perm(WORK_INVOICES):
            return {}
        return {"exclude": ("invoices",)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["totals"] = _bounded_totals(
            self.filterset,
            ("period_from", "issued_from", "customer", "number"),
            selectors.invoice_list_totals,
        )
        context["runs"] = selectors.invoice_runs_recent()
        if self.request.user.has_perm("billing.add_invoicerun"):
            context["run_form"] = InvoiceRunForm()
        if self.request.user.has_perm(WORK_INVOICES):
            totals = context["totals"]
            if totals["drafts"] if totals else selectors.has_drafts(self.object_list):
                context["bulk_form"] = InvoiceBulkIssueForm()
        return context


@requires("billing.add_invoicerun")
@require_POST
def invoice_run_new(request: DeskRequest) -> HttpResponse:
    form = InvoiceRunForm(request.POST)
    try:
        if not form.is_valid():
            raise _form_invalid(form)
        services.invoice_run_start(**form.cleaned_data, created_by=request.user)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("The run has started; the drafts appear as it goes."))
    return redirect("billing:invoices")


@requires(READ_INVOICES)
@require_safe
def invoice_run_progress(request: DeskRequest, pk: int) -> HttpResponse:
    """The progress bar of a run (htmx polls it until the run is finished)."""
    run = get_object_or_404(InvoiceRun, pk=pk)
    response = render(request, "billing/invoices.html#run", {"run": run})
    if run.finished and request.htmx:
        # The run's drafts are in the list now: htmx reloads the page (once: a finished run
        # is not polled).
        response["HX-Refresh"] = "true"
    return response


@requires(READ_INVOICES)
@require_safe
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(selectors.invoices(), pk=pk)
    context = {
        "invoice": invoice,
        "groups": selectors.invoice_line_groups(invoice),
        "can_work": request.user.has_perm(WORK_INVOICES),
        "status_label": invoice_status_label(invoice.status),
    }
    if invoice.is_draft:
        context["issue_form"] = InvoiceIssueForm()
    elif invoice.is_issued and not invoice.is_credit_note:
        context["cancel_form"] = InvoiceCancelForm()
    return render(request, "billing/invoice_detail.html", context)


@requires(WORK_INVOICES)
@require_POST
def invoice_line_remove(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    line = get_object_or_404(InvoiceLine, pk=line_pk, invoice_id=pk)
    try:
        kept = services.invoice_line_remove(line=line)
    except ValidationError as exc:
        _error(request, exc)
        return redirect("billing:invoice", pk=pk)
    if kept is None:
        messages.success(request, _("The last line was removed; the draft is discarded."))
        return redirect("billing:invoices")
    messages.success(request, _("Line removed; its work is unbilled again."))
    return redirect("billing:invoice", pk=pk)


@requires(WORK_INVOICES)
@require_POST
def invoice_issue(request: DeskRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice, pk=pk)
    form = InvoiceIssueForm(request.POST)
    try:
        if not form.is_valid():
            raise _form_invalid(form)
        invoice = services.invoice_issue(
            invoice=invoice, issued_on=form.cleaned_data["issued_on"], issued_by=request.user
        )
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Invoice %(number)s is issued.") % {"number": invoice.number})
    return redirect("billing:invoice", pk=pk)


def _draft_label(invoice: Invoice) -> str:
    return (
        f"{invoice.customer.number} {invoice.debtor_name or invoice.customer.name}"
        f" ({invoice.period_start:%d.%m.%Y}–{invoice.period_end:%d.%m.%Y})"
    )


@requires(WORK_INVOICES)
@require_POST
def invoice_issue_bulk(request: DeskRequest) -> HttpResponse:
    """Issue the drafts checked on the list, each on its own (one refused draft does not
    stop the others); the messages say what became of each."""
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = reverse("billing:invoices")
    form = InvoiceBulkIssueForm(request.POST)
    if not form.is_valid():
        _error(request, _form_invalid(form))
        return redirect(back)
    issued = []
    for draft in form.cleaned_data["invoices"]:
        try:
            invoice = services.invoice_issue(
                invoice=draft, issued_on=form.cleaned_data["issued_on"], issued_by=request.user
            )
        except ValidationError as exc:
            messages.error(
                request,
                _("Not issued: %(draft)s. %(reason)s")
                % {"draft": _draft_label(draft), "reason": " ".join(exc.messages)},
            )
        else:
            assert invoice.number is not None  # an issued invoice has its number
            issued.append(invoice.number)
    if issued:
        messages.success(
            request,
            ngettext(
                "%(count)d invoice issued: %(numbers)s.",
                "%(count)d invoices issued: %(numbers)s.",
                len(issued),
            )
            % {"count": len(issued), "numbers": ", ".join(issued)},
        )
    return redirect(back)


@requires(WORK_INVOICES)
@require_POST
def invoice_discard(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice, pk=pk)
    try:
        services.invoice_discard(invoice=invoice)
    except ValidationError as exc:
        _error(request, exc)
        return redirect("billing:invoice", pk=pk)
    messages.success(request, _("Draft discarded; its work is unbilled again."))
    return redirect("billing:invoices")


@requires(WORK_INVOICES)
@require_POST
def invoice_cancel(request: DeskRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice, pk=pk)
    form = InvoiceCancelForm(request.POST)
    try:
        if not form.is_valid():
            raise _form_invalid(form)
        note = services.invoice_cancel(
            invoice=invoice, reason=form.cleaned_data["reason"], issued_by=request.user
        )
    except ValidationError as exc:
        _error(request, exc)
        return redirect("billing:invoice", pk=pk)
    messages.success(
        request,
        _("Invoice %(number)s is cancelled by credit note %(note)s.")
        % {"number": invoice.number, "note": note.number},
    )
    return redirect("billing:invoice", pk=note.pk)


@requires(READ_INVOICES)
@require_safe
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse | FileResponse:
    """The stored PDF; rendered now (and stored) if the worker has not done it yet."""
    invoice = get_object_or_404(Invoice, pk=pk)
    if invoice.is_draft:
        raise Http404("a draft has no PDF")
    try:
        invoice = services.invoice_pdf_stored(invoice=invoice)
        content = invoice.pdf.open("rb")
    except ValidationError as exc:
        _error(request, exc)
        return redirect("billing:invoice", pk=pk)
    return FileResponse(content, content_type="application/pdf", filename=f"{invoice.number}.pdf")
