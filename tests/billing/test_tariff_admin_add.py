"""Admin → Tariffs → add: the credit table shown pre-filled is saved as shown (item 7)."""

from datetime import date

import pytest

from billing.models import CreditAllowance, Tariff
from tests.factories import shown_form

pytestmark = pytest.mark.django_db

ADD = "/admin/billing/tariff/add/"


def _shown_form(client) -> dict[str, str]:
    return shown_form(client, ADD)


def test_tariff_added_with_the_prefilled_credit_table_saves_all_eight_cells(client, admin_user):
    latest = Tariff.objects.get()
    expected = {
        (c.variant, c.several_main_modules): c.minutes for c in latest.credit_allowances.all()
    }
    client.force_login(admin_user)
    data = _shown_form(client)
    # The administrator changes only the start and the support rate (the example).
    data.update({"valid_from": "01.01.2027", "activities-0-hourly_rate": "180.00"})
    assert data["credit_allowances-TOTAL_FORMS"] == "8"

    response = client.post(ADD, data, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302, response.content.decode()[-3000:]
    tariff = Tariff.objects.get(valid_from=date(2027, 1, 1))
    assert tariff.hourly_rate("support") == 180
    assert [(a.code, a.hourly_rate) for a in tariff.activities.all()] == [
        (a.code, 180 if a.code == "support" else a.hourly_rate) for a in latest.activities.all()
    ]
    saved = {(c.variant, c.several_main_modules): c.minutes for c in tariff.credit_allowances.all()}
    assert saved == expected
    assert len(saved) == 8


def test_tariff_add_with_one_cell_emptied_is_refused_and_nothing_saved(client, admin_user):
    client.force_login(admin_user)
    data = _shown_form(client)
    data.update({"valid_from": "01.01.2027", "credit_allowances-5-minutes": ""})

    response = client.post(ADD, data, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Tariff.objects.filter(valid_from=date(2027, 1, 1)).exists()
    assert CreditAllowance.objects.count() == 8


def test_tariff_add_with_a_row_removed_is_refused_as_incomplete(client, admin_user):
    client.force_login(admin_user)
    data = _shown_form(client)
    data["valid_from"] = "01.01.2027"
    # The admin's "remove" link drops the last row from the page.
    data["credit_allowances-TOTAL_FORMS"] = "7"
    for key in [k for k in data if k.startswith("credit_allowances-7-")]:
        del data[key]

    response = client.post(ADD, data, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "The credit table is incomplete; missing: Premium / several main modules" in (
        response.content.decode()
    )
    assert Tariff.objects.count() == 1


def test_home_and_customer_page_announce_the_upcoming_tariff(client, admin_user, user_with_role):
    from q3helpdesk.roles import Role
    from tests.factories import rental_customer

    client.force_login(admin_user)
    data = _shown_form(client)
    data.update({"valid_from": "01.01.2028", "activities-0-hourly_rate": "180.00"})
    assert client.post(ADD, data).status_code == 302
    customer = rental_customer(number="10001", start=date(2027, 1, 1), end=date(2027, 12, 31))

    client.force_login(user_with_role(Role.INFOLINE))
    for path in ("/", f"/customers/{customer.number}/"):
        page = client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        notice = "New tariff from 01.01.2028: Support (phone or e-mail, no data check) 180.00/h"
        assert notice in page, path
    french = client.get("/").content.decode()
    assert (
        "Nouveau tarif dès le 01.01.2028 : Assistance (téléphone ou e-mail, sans contrôle"
        " des données) 180.00/h"
    ) in french


def test_no_notice_without_an_upcoming_tariff(client, user_with_role):
    from q3helpdesk.roles import Role

    client.force_login(user_with_role(Role.INFOLINE))
    assert 'data-testid="upcoming-tariff"' not in client.get("/").content.decode()
