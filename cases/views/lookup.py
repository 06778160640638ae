"""The caller lookup (one box, or the telephone's ``?phone=``) and the customer pages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from customers.forms import CustomerForm
from customers.models import Customer
from customers.selectors import customer_lookup, possible_duplicates
from customers.services import customer_create_with_contact
from q3helpdesk.roles import requires

from .. import selectors
from ..selectors.customers import customer_page_parts
from ._common import READ, WORK, _form_error


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
    customers = Customer.objects.annotate(**customer_page_parts())
    customer = get_object_or_404(customers, number=number)
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
