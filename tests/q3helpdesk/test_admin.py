"""The Django admin: administrators only; tariffs validated; Support+ through the rules."""

from datetime import date

import pytest

from billing.models import CreditAllowance, Tariff
from customers.models import Licence, RentalPeriod, SupportPlusSubscription
from q3helpdesk.roles import Role
from tests.factories import ContactFactory, LicenceFactory, rental_customer

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    "/admin/",
    "/admin/billing/tariff/",
    "/admin/billing/tariff/add/",
    "/admin/customers/licence/",
    "/admin/customers/licence/add/",
    "/admin/customers/customer/",
    "/admin/customers/module/",
    "/admin/customers/supportplussubscription/add/",
]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_load_for_an_administrator(client, admin_user, path):
    client.force_login(admin_user)
    assert client.get(path).status_code == 200


def test_object_pages_load_for_an_administrator(client, admin_user):
    licence = LicenceFactory()
    tariff = Tariff.objects.get()
    client.force_login(admin_user)
    for path in (
        f"/admin/billing/tariff/{tariff.pk}/change/",
        f"/admin/billing/tariff/{tariff.pk}/history/",
        f"/admin/customers/licence/{licence.pk}/change/",
        f"/admin/customers/licence/{licence.pk}/history/",
    ):
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("role", list(Role))
def test_admin_is_refused_to_every_role(client, user_with_role, role):
    client.force_login(user_with_role(role))
    for path in ("/admin/billing/tariff/", "/admin/customers/licence/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def _tariff_form(**overrides):
    data = {
        "valid_from": "2027-01-01",
        "note": "",
        "unit_minutes": "5",
        "credit_threshold": "100.00",
        "backdating_days": "7",
        "reopen_days": "14",
        "callback_expiry_days": "14",
        "support_plus_price": "565.00",
        "support_plus_additional_person_price": "115.00",
        "support_plus_extra_minutes": "120",
        "support_plus_capacity": "100",
        "half_fare_price": "",
        "vat_rate": "8.10",
        "credit_allowances-TOTAL_FORMS": "8",
        "credit_allowances-INITIAL_FORMS": "0",
        "credit_allowances-MIN_NUM_FORMS": "0",
        "credit_allowances-MAX_NUM_FORMS": "8",
    }
    cells = [(v, s) for v in ("standard", "advanced", "profi", "premium") for s in (False, True)]
    for i, (variant, several) in enumerate(cells):
        data[f"credit_allowances-{i}-variant"] = variant
        if several:
            data[f"credit_allowances-{i}-several_main_modules"] = "on"
        data[f"credit_allowances-{i}-minutes"] = str(10 + i)
    data.update(_activity_rows({"support": "180.00", "programming": "200.00"}))
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


ACTIVITY_FIELDS = [
    "position",
    "code",
    "name_fr",
    "name_de",
    "name_en",
    "hourly_rate",
    "half_fare_rate",
    "licence_credit",
    "support_plus_credit",
    "free",
    "free_on_verified_error",
    "first_rental_period_only",
]


def _activity_rows(rates: dict[str, str]) -> dict[str, str]:
    """The activities inline as a browser posts it: the seeded rows, ``rates`` changed."""
    from billing.models import ActivityRate

    rows = list(ActivityRate.objects.filter(tariff__valid_from=date(2024, 1, 1)))
    data = {
        "activities-TOTAL_FORMS": str(len(rows)),
        "activities-INITIAL_FORMS": "0",
        "activities-MIN_NUM_FORMS": "0",
        "activities-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for name in ACTIVITY_FIELDS:
            value = getattr(row, name)
            if isinstance(value, bool):
                if value:
                    data[f"activities-{i}-{name}"] = "on"
            else:
                data[f"activities-{i}-{name}"] = "" if value is None else str(value)
        if row.code in rates:
            data[f"activities-{i}-hourly_rate"] = rates[row.code]
    return data


def test_administrator_adds_a_complete_tariff_and_history_records_it(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/admin/billing/tariff/add/", _tariff_form())
    assert response.status_code == 302, response.context and response.context["errors"]
    tariff = Tariff.objects.get(valid_from=date(2027, 1, 1))
    assert tariff.credit_allowances.count() == 8
    assert tariff.activities.count() == 7
    assert tariff.hourly_rate("programming") == 200
    assert tariff.history.get().history_user == admin_user


def test_add_form_starts_from_the_latest_tariff(client, admin_user):
    client.force_login(admin_user)
    html = client.get("/admin/billing/tariff/add/").content.decode()
    assert 'value="175.00"' in html and 'value="195.00"' in html
    assert 'name="credit_allowances-7-minutes" value="35"' in html


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {
                "credit_allowances-TOTAL_FORMS": "7",
                "credit_allowances-7-minutes": None,
                "credit_allowances-7-variant": None,
                "credit_allowances-7-several_main_modules": None,
            },
            "The credit table is incomplete; missing: Premium / several main modules",
        ),
        ({"credit_allowances-7-variant": "standard"}, "duplicate data"),
        ({"activities-3-hourly_rate": "-1.00"}, "negative"),
        ({"credit_allowances-3-minutes": "-5"}, "greater than or equal to 0"),
        ({"vat_rate": "120"}, "less than or equal to 100"),
        ({"valid_from": "2024-01-01"}, "already exists"),
        ({"unit_minutes": "0"}, "greater than or equal to 1"),
        ({"backdating_days": "32"}, "less than or equal to 31"),
    ],
)
def test_invalid_tariff_is_refused_and_nothing_saved(client, admin_user, overrides, message):
    client.force_login(admin_user)
    response = client.post(
        "/admin/billing/tariff/add/", _tariff_form(**overrides), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Tariff.objects.count() == 1
    assert CreditAllowance.objects.count() == 8


def test_a_tariff_that_has_been_in_force_cannot_be_deleted(client, admin_user):
    client.force_login(admin_user)
    tariff = Tariff.objects.get()
    assert client.get(f"/admin/billing/tariff/{tariff.pk}/delete/").status_code == 403
    assert Tariff.objects.count() == 1


def test_licence_admin_refuses_overlapping_periods_entered_together(client, admin_user):
    licence = LicenceFactory(variant="profi")
    client.force_login(admin_user)
    data = {
        "customer": licence.customer_id,
        "kind": "rental",
        "variant": "profi",
        "modules": [m.pk for m in licence.modules.all()],
        "rental_periods-TOTAL_FORMS": "2",
        "rental_periods-INITIAL_FORMS": "0",
        "rental_periods-MIN_NUM_FORMS": "0",
        "rental_periods-MAX_NUM_FORMS": "1000",
        "rental_periods-0-start": "2026-01-01",
        "rental_periods-0-end": "2026-12-31",
        "rental_periods-0-annual_rent": "480.00",
        "rental_periods-1-start": "2026-12-01",
        "rental_periods-1-end": "2027-11-30",
        "rental_periods-1-annual_rent": "480.00",
    }
    response = client.post(
        f"/admin/customers/licence/{licence.pk}/change/", data, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "cannot overlap" in response.content.decode()
    assert RentalPeriod.objects.count() == 0
    assert Licence.objects.get().variant == "profi"


def test_support_plus_added_in_the_admin_follows_the_rules(client, admin_user):
    standard = rental_customer(variant="standard")
    profi = rental_customer(variant="profi")
    client.force_login(admin_user)
    form = {"start": "2026-01-01", "end": "2026-12-31"}

    refused = client.post(
        "/admin/customers/supportplussubscription/add/",
        {**form, "customer": standard.pk, "persons": [ContactFactory(customer=standard).pk]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 200
    assert "current profi or premium" in refused.content.decode()
    assert SupportPlusSubscription.objects.count() == 0

    person = ContactFactory(customer=profi)
    accepted = client.post(
        "/admin/customers/supportplussubscription/add/",
        {**form, "customer": profi.pk, "persons": [person.pk]},
    )
    assert accepted.status_code == 302
    subscription = SupportPlusSubscription.objects.get()
    assert list(subscription.registered.all()) == [person]
    assert (
        client.get(
            f"/admin/customers/supportplussubscription/{subscription.pk}/change/"
        ).status_code
        == 200
    )


def test_purchase_licence_added_with_a_rental_period_is_refused(client, admin_user):
    from tests.factories import CustomerFactory

    customer = CustomerFactory()
    client.force_login(admin_user)
    data = {
        "customer": customer.pk,
        "kind": "purchase",
        "variant": "profi",
        "modules": [],
        "rental_periods-TOTAL_FORMS": "1",
        "rental_periods-INITIAL_FORMS": "0",
        "rental_periods-MIN_NUM_FORMS": "0",
        "rental_periods-MAX_NUM_FORMS": "1000",
        "rental_periods-0-start": "2026-01-01",
        "rental_periods-0-end": "2026-12-31",
        "rental_periods-0-annual_rent": "480.00",
    }
    from customers.models import Module

    data["modules"] = [Module.objects.get(code="COFI").pk]
    response = client.post("/admin/customers/licence/add/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "this is a purchase licence" in response.content.decode()
    assert Licence.objects.count() == 0 and RentalPeriod.objects.count() == 0


def test_licences_are_not_added_from_the_customer_page_and_modules_not_deleted(client, admin_user):
    from customers.models import Module

    licence = LicenceFactory()
    client.force_login(admin_user)
    html = client.get(f"/admin/customers/customer/{licence.customer_id}/change/").content.decode()
    assert "licences-TOTAL_FORMS" in html
    assert 'id="licences-empty"' not in html  # no blank row to add a licence without modules
    module = Module.objects.get(code="COFI")
    assert client.get(f"/admin/customers/module/{module.pk}/delete/").status_code == 403
    assert Module.objects.filter(code="COFI").exists()


def test_a_tariff_used_for_credit_can_no_longer_be_changed(client, admin_user):
    rental_customer(variant="profi")  # its rental period draws a grant from the tariff
    tariff = Tariff.objects.get()
    client.force_login(admin_user)
    form = _tariff_form(valid_from="2024-01-01", **{"activities-0-hourly_rate": "1.00"})
    response = client.post(f"/admin/billing/tariff/{tariff.pk}/change/", form)
    assert response.status_code == 403
    assert tariff.hourly_rate("support") == 175
    assert client.get(f"/admin/billing/tariff/{tariff.pk}/change/").status_code == 200  # view


def test_role_groups_have_exactly_their_permissions():
    from django.contrib.auth.models import Group

    from q3helpdesk.roles import ROLE_PERMISSIONS

    for role, codes in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role.value)
        granted = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        assert granted == set(codes), role
