"""Edits after credit was used, exact case amounts, append-only draws and bad input."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.models import CreditGrant, Tariff, UsageDraw
from billing.selectors import credit_balance, work_summary
from billing.services import record_usage, usage_reverse
from customers.models import Contact, Customer, Module, RentalPeriod
from customers.services import credit_change_check
from q3helpdesk.roles import Role
from tests.factories import LicenceFactory, make_usage, rental_customer

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)


@pytest.fixture
def used():
    """Premium, COFI + SAL: 35 minutes, 20 of them used on 02.03.2026."""
    customer = rental_customer(variant="premium", modules=["COFI", "SAL"], rent=Decimal(900))
    make_usage(customer, 20)
    return customer, RentalPeriod.objects.get(licence__customer=customer)


def test_rent_below_the_threshold_is_refused_once_credit_is_used(used):
    _customer, period = used
    period.annual_rent = Decimal("50.00")
    with pytest.raises(ValidationError, match="20 minutes of the credit"):
        credit_change_check(period=period)


def test_variant_downgrade_is_refused_when_it_would_grant_less_than_used(used):
    customer, _period = used
    licence = customer.licences.get()
    licence.variant = "standard"  # 10 minutes < 20 used
    with pytest.raises(ValidationError, match="would grant only 10"):
        credit_change_check(licence=licence)
    licence.variant = "profi"  # 25 minutes ≥ 20 used: fine
    credit_change_check(licence=licence)


def test_period_must_keep_covering_the_days_credit_was_used(used):
    _customer, period = used
    period.start = date(2026, 4, 1)
    with pytest.raises(ValidationError, match=r"used between 02\.03\.2026 and 02\.03\.2026"):
        credit_change_check(period=period)


def test_period_cannot_move_to_another_customer_once_used(used):
    _customer, period = used
    other = rental_customer(variant="premium", start=date(2030, 1, 1), end=date(2030, 12, 31))
    period.licence = other.licences.get()
    with pytest.raises(ValidationError, match="cannot move to another customer"):
        credit_change_check(period=period)


def test_admin_refuses_removing_a_main_module_below_the_used_credit(client, admin_user, used):
    customer, _period = used
    licence = customer.licences.get()
    client.force_login(admin_user)
    data = {
        "customer": customer.pk,
        "kind": "rental",
        "variant": "standard",
        "modules": [Module.objects.get(code="COFI").pk],
        "rental_periods-TOTAL_FORMS": "0",
        "rental_periods-INITIAL_FORMS": "0",
        "rental_periods-MIN_NUM_FORMS": "0",
        "rental_periods-MAX_NUM_FORMS": "1000",
    }
    response = client.post(
        f"/admin/customers/licence/{licence.pk}/change/", data, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "would grant only 5" in response.content.decode()
    licence.refresh_from_db()
    assert licence.variant == "premium" and licence.modules.count() == 2
    assert CreditGrant.objects.get(customer=customer).minutes == 35


def test_the_rental_period_admin_saves_through_the_services_and_the_credit_follows(
    client, admin_user
):
    licence = LicenceFactory(variant="profi", modules=["COFI"])  # 15 minutes a year
    client.force_login(admin_user)
    add = {"licence": licence.pk, "start": "01.01.2026", "end": "31.12.2026", "annual_rent": "480"}
    response = client.post("/admin/customers/rentalperiod/add/", add)
    assert response.status_code == 302, response.content.decode()[-2000:]
    period = RentalPeriod.objects.get(licence=licence)
    assert CreditGrant.objects.get(rental_period=period).minutes == 15

    change = {"start": "01.01.2026", "end": "31.12.2027", "annual_rent": "480"}
    response = client.post(f"/admin/customers/rentalperiod/{period.pk}/change/", change)
    assert response.status_code == 302
    grants = CreditGrant.objects.filter(rental_period=period).order_by("valid_from")
    assert [(g.valid_from.year, g.minutes) for g in grants] == [(2026, 15), (2027, 15)]
    assert period.history.first().history_user == admin_user


def test_the_rental_period_admin_refuses_a_change_taking_back_used_credit(client, admin_user, used):
    _customer, period = used
    client.force_login(admin_user)
    change = {"start": "01.01.2026", "end": "31.12.2026", "annual_rent": "50"}
    response = client.post(
        f"/admin/customers/rentalperiod/{period.pk}/change/", change, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "20 minutes of the credit" in response.content.decode()
    period.refresh_from_db()
    assert period.annual_rent == 900
    assert CreditGrant.objects.get(rental_period=period).minutes == 35


def test_main_module_flag_is_fixed_in_the_admin(client, admin_user):
    module = Module.objects.get(code="DEB")
    client.force_login(admin_user)
    client.post(
        f"/admin/customers/module/{module.pk}/change/",
        {"code": "DEB", "name": "Debitoren", "is_main": "on"},
    )
    module.refresh_from_db()
    assert module.is_main is False and module.name == "Debitoren"


def test_case_amount_is_the_amount_of_its_total():
    customer = rental_customer(rent=Decimal(0))
    amounts = [make_usage(customer, m).amount for m in (1, 5, 5)]  # 5 + 5 + 5 charged
    assert sum(amounts) == Decimal("43.75")  # 15 × 175 / 60, rounded once
    assert work_summary(customer=customer, work_ref="C-1").amount == Decimal("43.75")
    reversal = usage_reverse(usage=customer.usages.order_by("id").first())
    assert work_summary(customer=customer, work_ref="C-1").amount == Decimal("29.17")
    assert reversal.amount == Decimal("-14.58")


def test_a_new_unit_never_recharges_earlier_minutes():
    customer = rental_customer(rent=Decimal(0))
    make_usage(customer, 13)  # 15 charged at the 5-minute unit
    Tariff.objects.update(unit_minutes=15)
    assert make_usage(customer, 10).charged_minutes == 15  # 23 → 30 at 15: 15 more
    assert work_summary(customer=customer, work_ref="C-1").charged_minutes == 30


def test_credit_draws_are_append_only(used):
    draw = UsageDraw.objects.first()
    with pytest.raises(ValidationError):
        draw.delete()
    with pytest.raises(ValidationError):
        UsageDraw.objects.all().delete()
    draw.minutes = 1
    with pytest.raises(ValidationError):
        draw.save()
    assert credit_balance(customer=used[0], on=DAY).used == 20


def test_bad_objects_give_clear_errors_not_crashes():
    customer = rental_customer()
    with pytest.raises(ValidationError, match="not a contact of this customer"):
        record_usage(
            customer=customer,
            activity="support",
            minutes=5,
            performed_on=DAY,
            work_ref="C-1",
            contact=Contact(customer=customer, name="unsaved"),
        )
    with pytest.raises(ValidationError, match="user of the desk"):
        record_usage(
            customer=customer,
            activity="support",
            minutes=5,
            performed_on=DAY,
            work_ref="C-1",
            performed_by="alice",
        )
    gone = Customer(pk=999_999, name="deleted meanwhile", number="99999")
    with pytest.raises(ValidationError, match="existing customer"):
        record_usage(customer=gone, activity="support", minutes=5, performed_on=DAY, work_ref="C-1")
    for kwargs in ({"customer": "abc", "on": DAY}, {"customer": customer, "on": None}):
        with pytest.raises(ValidationError):
            credit_balance(**kwargs)
    with pytest.raises(ValidationError):
        work_summary(customer="abc", work_ref="C-1")


def test_unknown_export_format_is_not_found(client, user_with_role):
    client.force_login(user_with_role(Role.BILLING))
    assert client.get("/billing/ledger/", {"_export": "ods"}).status_code == 404
    assert client.get("/billing/grants/", {"_export": "yaml"}).status_code == 404
    assert client.get("/billing/ledger/", {"_export": "csv"}).status_code == 200


@pytest.mark.parametrize("rows", [1, 30])
def test_ledger_with_reversals_stays_within_its_query_budget(
    client, user_with_role, django_assert_max_num_queries, rows
):
    customer = rental_customer(rent=Decimal(0))
    for n in range(rows):
        usage_reverse(usage=make_usage(customer, 5, ref=f"C-{n}"))
    client.force_login(user_with_role(Role.MANAGER))
    with django_assert_max_num_queries(11):  # 11th: the activities' names
        assert client.get("/billing/ledger/").status_code == 200
    with django_assert_max_num_queries(11):
        assert client.get("/billing/ledger/", {"_export": "csv"}).status_code == 200
