"""The customer list and the contact pages."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from q3helpdesk.roles import requires
from q3helpdesk.ui.views import TableListView

from .filters import CustomerFilter
from .forms import ContactForm
from .models import Contact, Customer
from .selectors import customers_for_list
from .services import contact_create, contact_update
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
