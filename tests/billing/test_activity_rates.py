"""Activities are tariff data (R4): what the administrator enters in the admin is what the
next posting costs and what pays for it (today: 15.03.2027)."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from billing.models import ActivityRate, Tariff
from billing.selectors import activity_choices, quote
from cases.services import case_mark_verified_bug, time_entry_add
from customers.services import half_fare_subscribe
from q3helpdesk.roles import Role
from tests.factories import (
    copy_tariff,
    inline_prefix,
    make_case,
    make_usage,
    post,
    rental_customer,
    shown_form,
)

pytestmark = pytest.mark.django_db

ADD = "/admin/billing/tariff/add/"
YEAR = {"start": date(2027, 1, 1), "end": date(2027, 12, 31)}


def test_a_rate_entered_in_the_admin_prices_the_next_posting(client, admin_user):
    customer = rental_customer(rent=Decimal("50.00"), **YEAR)  # no credit: all billable
    client.force_login(admin_user)
    data = shown_form(client, ADD)
    data["valid_from"] = "01.03.2027"
    data[f"{inline_prefix(data, 'programming')}-hourly_rate"] = "210.00"
    assert post(client, ADD, data, language="en").status_code == 302

    before = make_usage(customer, 60, activity="programming", ref="C-1", on=date(2027, 2, 26))
    after = make_usage(customer, 60, activity="programming", ref="C-2", on=date(2027, 3, 1))
    assert (before.rate, before.amount) == (Decimal("195.00"), Decimal("195.00"))
    assert (after.rate, after.amount) == (Decimal("210.00"), Decimal("210.00"))


def test_a_rate_changed_in_the_admin_on_a_tariff_not_used_yet_prices_the_next_posting(
    client, admin_user
):
    customer = rental_customer(rent=Decimal("50.00"), **YEAR)
    coming = copy_tariff(date(2027, 3, 10))
    url = f"/admin/billing/tariff/{coming.pk}/change/"
    client.force_login(admin_user)
    data = shown_form(client, url)
    data[f"{inline_prefix(data, 'forms')}-hourly_rate"] = "150.00"
    assert post(client, url, data, language="en").status_code == 302

    usage = make_usage(customer, 30, activity="forms", on=date(2027, 3, 12))
    assert (usage.rate, usage.amount) == (Decimal("150.00"), Decimal("75.00"))
    assert quote(
        customer=customer, activity="forms", minutes=30, on=date(2027, 3, 9)
    ).rate == Decimal("175.00")


def test_an_activity_added_in_the_admin_is_offered_and_charged_at_its_rate(
    client, admin_user, user_with_role
):
    customer = rental_customer(rent=Decimal("50.00"), **YEAR)
    client.force_login(admin_user)
    data = shown_form(client, ADD)
    data["valid_from"] = "01.03.2027"
    n = int(data["activities-TOTAL_FORMS"])
    data["activities-TOTAL_FORMS"] = str(n + 1)
    data.update(
        {
            f"activities-{n}-position": "45",
            f"activities-{n}-code": "consulting",
            f"activities-{n}-name_fr": "Conseil",
            f"activities-{n}-name_de": "Beratung",
            f"activities-{n}-name_en": "Consulting",
            f"activities-{n}-hourly_rate": "160.00",
        }
    )
    assert post(client, ADD, data, language="en").status_code == 302

    usage = make_usage(customer, 30, activity="consulting", on=date(2027, 3, 3))
    assert (usage.billable_minutes, usage.rate, usage.amount) == (30, 160, Decimal("80.00"))
    codes = [code for code, _name in activity_choices(on=date(2027, 3, 15))]
    assert codes.index("consulting") == codes.index("forms") + 1  # position 45: after forms
    assert "consulting" not in dict(activity_choices(on=date(2027, 2, 28)))

    # The desk's form offers it in the user's language; the ledger names it.
    case = make_case(customer)
    desk = client
    desk.force_login(user_with_role(Role.SUPPORT))
    page = desk.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<option value="consulting">Beratung</option>' in page
    desk.force_login(user_with_role(Role.MANAGER))
    ledger = desk.get("/billing/ledger/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "<td>Conseil</td>" in ledger.replace("<td >", "<td>")


def test_credit_cover_follows_the_rows_of_the_tariff_of_the_day():
    customer = rental_customer(variant="premium", rent=Decimal("480.00"), **YEAR)  # 25 min
    copy_tariff(date(2027, 3, 1), rates={"training": {"licence_credit": True}})
    old = make_usage(customer, 10, activity="training", ref="C-1", on=date(2027, 2, 26))
    new = make_usage(customer, 10, activity="training", ref="C-2", on=date(2027, 3, 1))
    assert (old.credit_minutes, old.billable_minutes) == (0, 10)  # R4: only with Support+
    assert (new.credit_minutes, new.billable_minutes) == (10, 0)


def test_a_half_fare_rate_entered_for_another_activity_applies_to_it():
    customer = rental_customer(rent=Decimal("50.00"), **YEAR)
    half_fare_subscribe(customer=customer, **YEAR)
    copy_tariff(date(2027, 3, 1), rates={"data_check": {"half_fare_rate": Decimal("100.00")}})
    old = make_usage(customer, 60, activity="data_check", ref="C-1", on=date(2027, 2, 26))
    new = make_usage(customer, 60, activity="data_check", ref="C-2", on=date(2027, 3, 1))
    assert (old.half_fare, old.rate) == (False, Decimal("175.00"))  # R6: support only
    assert (new.half_fare, new.rate) == (True, Decimal("100.00"))


def test_an_activity_made_free_on_a_verified_error_is_reposted_free_when_marked():
    customer = rental_customer(rent=Decimal("50.00"), **YEAR)
    copy_tariff(date(2027, 3, 1), rates={"training": {"free_on_verified_error": True}})
    case = make_case(customer)
    entry = time_entry_add(
        case=case, activity="training", minutes=30, performed_on=date(2027, 3, 15)
    )
    case_mark_verified_bug(case=case, bug_reference="Q3-77")
    entry.refresh_from_db()
    assert entry.usage.activity == "verified_bug"
    assert entry.usage.amount == 0 and entry.is_free_as_verified_error


def test_a_free_row_costs_nothing_whatever_rate_it_holds():
    copy_tariff(date(2027, 3, 1), rates={"first_install": {"hourly_rate": Decimal("99.00")}})
    assert Tariff.objects.get(valid_from=date(2027, 3, 1)).hourly_rate("first_install") == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("drop_verified_error", "The activities must include “verified_bug”"),
        ("duplicate_code", "Please correct the duplicate data for code."),
        ("verified_error_charged", "The verified software error is free"),
        ("bad_code", "Enter a valid “slug”"),
    ],
)
def test_the_admin_refuses_an_activity_table_the_desk_cannot_work_with(
    client, admin_user, change, message
):
    client.force_login(admin_user)
    data = shown_form(client, ADD)
    data["valid_from"] = "01.03.2027"
    error_row = inline_prefix(data, "verified_bug")
    if change == "drop_verified_error":
        data[f"{error_row}-code"] = "bug"
    elif change == "duplicate_code":
        data[f"{inline_prefix(data, 'forms')}-code"] = "support"
    elif change == "verified_error_charged":
        data.pop(f"{error_row}-free")
    else:
        data[f"{inline_prefix(data, 'forms')}-code"] = "form adaptations"
    response = post(client, ADD, data, language="en")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Tariff.objects.count() == 1 and ActivityRate.objects.count() == 7


def test_pages_name_activities_in_the_users_language(client, user_with_role):
    customer = rental_customer(rent=Decimal("50.00"), **YEAR)
    case = make_case(customer)
    time_entry_add(case=case, activity="data_check", minutes=10, performed_on=date(2027, 3, 15))
    client.force_login(user_with_role(Role.SUPPORT))
    for language, name in [("fr", "Contrôle des données"), ("de", "Datenkontrolle")]:
        page = client.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert f"<td>{name}" in page, language
        with translation.override(language):
            assert dict(activity_choices(on=date(2027, 3, 15)))["data_check"] == name
