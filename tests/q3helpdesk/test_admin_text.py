"""The admin writes rows itself: it refuses control characters in text as the services do,
on the change form and in its inlines, and saves nothing."""

import pytest

from customers.models import Contact, Customer
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def _form_data(response) -> dict:
    """What the browser would post back: the form's initial values and every inline's."""
    data = {}
    forms = [response.context["adminform"].form]
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
        forms += list(formset.formset.forms)
    for form in forms:
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            if value is None:
                continue
            if hasattr(value, "pk"):
                value = value.pk
            if isinstance(value, list | tuple):
                data[form.add_prefix(name)] = [getattr(v, "pk", v) for v in value]
            elif isinstance(value, bool):
                if value:
                    data[form.add_prefix(name)] = "on"
            else:
                data[form.add_prefix(name)] = value
    return data


def test_the_contact_form_refuses_an_escape_sequence(client, admin_user):
    contact = ContactFactory(name="Anna Muster")
    client.force_login(admin_user)
    url = f"/admin/customers/contact/{contact.pk}/change/"
    data = _form_data(client.get(url))
    data["name"] = "Anna\x1b[31m Muster"
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "control characters" in str(response.context["adminform"].form.non_field_errors())
    assert Contact.objects.get(pk=contact.pk).name == "Anna Muster"
    # The same form without the escape saves.
    data["name"] = "Anna Muster-Meier"
    assert client.post(url, data).status_code == 302
    assert Contact.objects.get(pk=contact.pk).name == "Anna Muster-Meier"


def test_the_customer_form_and_its_contact_inline_refuse_control_characters(client, admin_user):
    contact = ContactFactory(name="Beat Keller")
    customer = contact.customer
    client.force_login(admin_user)
    url = f"/admin/customers/customer/{customer.pk}/change/"
    data = _form_data(client.get(url))
    city = data["city"]
    data["city"] = city + "\x07Nord"
    assert client.post(url, data).status_code == 200
    assert Customer.objects.get(pk=customer.pk).city == city

    data["city"] = city
    inline_name = next(k for k, v in data.items() if v == "Beat Keller")
    data[inline_name] = "Beat\x1b Keller"
    assert client.post(url, data).status_code == 200
    assert Contact.objects.get(pk=contact.pk).name == "Beat Keller"
