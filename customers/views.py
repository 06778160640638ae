"""Shared pieces of the list pages of every app (they may all import customers)."""

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from .exports import export_response


class TableListView(LoginRequiredMixin, PermissionRequiredMixin, SingleTableMixin, FilterView):
    """A filterable, sortable, paginated list that exports the filtered rows
    (``?_export=csv`` or ``?_export=xlsx``, see ``customers.exports``).

    Set ``permission_required``, ``table_class``, ``filterset_class``, ``template_name``
    and ``export_name``. Anonymous users go to the login page, others without the
    permission get 403; an unknown export format is not found.
    """

    raise_exception = False
    export_name = "table"
    export_trigger_param = "_export"

    def render_to_response(self, context, **kwargs):
        wanted = self.request.GET.get(self.export_trigger_param)
        if wanted:
            table = self.get_table(**self.get_table_kwargs())
            return export_response(table, fmt=wanted, name=self.export_name)
        return super().render_to_response(context, **kwargs)


# --- the customer list and contacts ---------------------------------------------------------
# (imports here keep TableListView's block above untouched for the exports' engineer)
from django.contrib import messages  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402
from django.shortcuts import get_object_or_404, redirect, render  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402

from q3helpdesk.roles import requires  # noqa: E402

from .filters import CustomerFilter  # noqa: E402
from .forms import ContactForm  # noqa: E402
from .models import Contact, Customer  # noqa: E402
from .selectors import customers_for_list  # noqa: E402
from .services import contact_create, contact_update  # noqa: E402
from .tables import CustomerTable  # noqa: E402


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
