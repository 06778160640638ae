"""Who changed what: customers, contacts, cases and the company data keep a history, shown
in the admin with old and new values; customers with records are never deleted."""

import pytest

from cases.models import Case
from customers.models import Contact, Customer
from q3helpdesk.roles import Role
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    LicenceFactory,
    make_case,
    messages_of,
)

pytestmark = pytest.mark.django_db


def _customer_form(customer, **changes):
    data = {
        "number": customer.number,
        "name": customer.name,
        "language": customer.language,
        "street": customer.street,
        "house_number": customer.house_number,
        "postcode": customer.postcode,
        "city": customer.city,
        "country": customer.country,
        "email": customer.email,
        "phone": "",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
        "licences-TOTAL_FORMS": "0",
        "licences-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_a_customer_change_in_the_admin_is_recorded_with_its_author(client, admin_user):
    customer = CustomerFactory(name="Menuiserie Dupont SA", city="Bern")
    client.force_login(admin_user)
    response = client.post(
        f"/admin/customers/customer/{customer.pk}/change/",
        _customer_form(customer, city="Thun"),
    )
    assert response.status_code == 302
    latest = customer.history.first()
    assert (latest.history_type, latest.city, latest.history_user) == ("~", "Thun", admin_user)

    page = client.get(f"/admin/customers/customer/{customer.pk}/history/").content.decode()
    assert "Bern" in page and "Thun" in page and "&rarr;" in page


def test_a_contact_change_is_recorded_and_shown(client, admin_user):
    contact = ContactFactory(name="Claire Dupont", email="claire@dupont.example")
    contact.email = "c.dupont@dupont.example"
    contact.save()
    assert [h.email for h in contact.history.all()] == [
        "c.dupont@dupont.example",
        "claire@dupont.example",
    ]
    client.force_login(admin_user)
    page = client.get(f"/admin/customers/contact/{contact.pk}/history/").content.decode()
    assert "claire@dupont.example" in page and "c.dupont@dupont.example" in page


def test_case_status_assignee_and_verified_error_changes_are_recorded(
    client, user_with_role, admin_user
):
    desk = user_with_role(Role.SUPPORT)
    case = make_case()
    client.force_login(desk)
    client.post(f"/cases/{case.pk}/take/")
    client.post(f"/cases/{case.pk}/status/", {"status": "waiting"})
    client.post(f"/cases/{case.pk}/verified-bug/", {"bug_reference": "BUG-42"})

    history = list(Case.history.filter(id=case.pk).order_by("history_id"))
    assert [(h.status, h.assignee_id, h.bug_reference) for h in history][-3:] == [
        ("open", desk.pk, ""),
        ("waiting", desk.pk, ""),
        ("waiting", desk.pk, "BUG-42"),
    ]
    assert all(h.history_user == desk for h in history[-3:])

    client.force_login(admin_user)
    page = client.get(f"/admin/cases/case/{case.pk}/history/").content.decode()
    assert "BUG-42" in page and "waiting" in page


def test_a_customer_with_records_is_not_deleted_but_deactivated(client, admin_user):
    customer = LicenceFactory().customer
    client.force_login(admin_user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the messages are read in English
    response = client.post(
        f"/admin/customers/customer/{customer.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert Customer.objects.filter(pk=customer.pk).exists()
    (message,) = messages_of(response)
    assert "cannot be deleted" in message and "licences" in message
    assert "Deactivate it instead" in message

    response = client.post(
        "/admin/customers/customer/",
        {"action": "delete_selected", "_selected_action": [customer.pk], "post": "yes"},
        follow=True,
    )
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert any("cannot be deleted" in m for m in messages_of(response))


def test_a_customer_entered_by_mistake_is_deleted_and_its_history_kept(client, admin_user):
    contact = ContactFactory()
    customer = contact.customer
    client.force_login(admin_user)
    response = client.post(f"/admin/customers/customer/{customer.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert [h.history_type for h in Customer.history.filter(id=customer.pk)] == ["-", "+"]
