"""The customer list, the contact pages, and the customer base from and to the ERP."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from q3helpdesk.roles import requires
from q3helpdesk.ui.exports import CONTENT_TYPES, EXPORT_FORMATS
from q3helpdesk.ui.views import TableListView

from .erp.reading import check_size
from .erp.writing import erp_export
from .filters import CustomerFilter
from .forms import ContactForm, ErpUploadForm
from .models import Contact, Customer, ErpImport
from .selectors import (
    customers_for_list,
    erp_import_report,
    erp_imports_recent,
    unnumbered_licences,
)
from .services import contact_create, contact_update, erp_import_confirm, erp_import_upload
from .tables import CustomerTable


class CustomerListView(TableListView):
    """All customers with their support status today: filter, sort, page, export."""

    permission_required = "customers.view_customer"
    table_class = CustomerTable
    filterset_class = CustomerFilter
    template_name = "customers/customer_list.html"
    export_name = "customers"

    def get_queryset(self):
        return customers_for_list(on=timezone.localdate())


def _contact_form_page(request, customer: Customer, form, contact: Contact | None = None):
    return render(
        request,
        "customers/contact_form.html",
        {"customer": customer, "form": form, "contact": contact},
    )


@requires("customers.add_contact")
def contact_new(request, number: str):
    customer = get_object_or_404(Customer, number=number)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact = contact_create(customer=customer, **form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Contact %(name)s added.") % {"name": contact.name})
            return redirect("customer_detail", number=customer.number)
    return _contact_form_page(request, customer, form)


@requires("customers.change_contact")
def contact_edit(request, number: str, pk: int):
    contact = get_object_or_404(
        Contact.objects.select_related("customer"), pk=pk, customer__number=number
    )
    initial = {f: getattr(contact, f) for f in ("name", "role", "email", "language")}
    initial["phone"] = str(contact.phone or "")
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            contact = contact_update(contact=contact, **form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Contact %(name)s saved.") % {"name": contact.name})
            return redirect("customer_detail", number=contact.customer.number)
    return _contact_form_page(request, contact.customer, form, contact)


# --- the customer base from and to the ERP ---------------------------------------------

EXCHANGE_ERP = "customers.exchange_erp"


@requires(EXCHANGE_ERP)
def erp_import_new(request):
    """Upload an ERP file: it is kept and checked (a dry run) in the background."""
    form = ErpUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            check_size(upload.size)  # before the file is read into memory
            created = erp_import_upload(
                content=upload.read(),
                name=upload.name,
                language=get_language()[:2],
                created_by=request.user,
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            return redirect("erp_import", pk=created.pk)
    context = {
        "form": form,
        "recent": erp_imports_recent(),
        "unnumbered": unnumbered_licences(),
    }
    return render(request, "customers/erp_import_new.html", context)


@requires(EXCHANGE_ERP)
@require_safe
def erp_import_detail(request, pk: int):
    """The report of an upload: while the worker checks or imports it, a progress note
    (htmx polls it); then each row's outcome (``?outcome=`` one of them), a page at a time."""
    uploads = ErpImport.objects.select_related("created_by", "confirmed_by")
    if request.htmx and request.GET.get("poll"):
        uploads = uploads.defer("rows")  # the status only
    upload = get_object_or_404(uploads, pk=pk)
    if request.htmx and request.GET.get("poll"):
        response = render(request, "customers/erp_import_detail.html#status", {"upload": upload})
        if not upload.busy:
            response["HX-Refresh"] = "true"
        return response
    report = erp_import_report(
        upload, outcome=request.GET.get("outcome", ""), page=request.GET.get("page")
    )
    context = {"upload": upload, "report": report}
    return render(request, "customers/erp_import_detail.html", context)


@requires(EXCHANGE_ERP)
@require_POST
def erp_import_confirm_view(request, pk: int):
    """Import a checked upload for good (the worker does it)."""
    upload = get_object_or_404(ErpImport, pk=pk)
    try:
        erp_import_confirm(upload=upload, confirmed_by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The import has started; the report follows as it goes."))
    return redirect("erp_import", pk=upload.pk)


@requires(EXCHANGE_ERP)
@require_safe
def erp_export_download(request):
    """The customer base as an ERP file (``?format=csv`` or ``xlsx``), headers in the
    user's language; importing it again changes nothing."""
    fmt = request.GET.get("format", "csv")
    if fmt not in EXPORT_FORMATS:
        raise Http404("unknown export format")
    export = erp_export(fmt=fmt, language=get_language()[:2])
    response = HttpResponse(export.content, content_type=CONTENT_TYPES[fmt])
    day = timezone.localdate()
    response["Content-Disposition"] = f'attachment; filename="customers-erp-{day:%Y-%m-%d}.{fmt}"'
    return response
