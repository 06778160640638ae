"""Credit on long-running cases, verified software errors marked while time is logged, and
rental years split by the migration (today: 02.03.2026)."""

import importlib
import threading
import time
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import translation

from billing.models import CreditGrant, Tariff
from billing.selectors import work_summary
from billing.services import record_usage
from cases.models import Case, TimeEntry
from cases.services import (
    case_create,
    case_mark_verified_bug,
    time_entry_add,
    time_entry_remove,
)
from customers.models import Module, RentalPeriod
from tests.factories import RentalPeriodFactory, change_period, rental_customer

TODAY = date(2026, 3, 2)


def two_year_customer():
    customer = rental_customer(variant="standard")
    licence = customer.licences.get()
    RentalPeriodFactory(licence=licence, start=date(2025, 1, 1), end=date(2025, 12, 31))
    return customer


@pytest.mark.django_db
def test_a_long_running_case_cannot_reach_expired_credit():
    """R13: a case received in December 2025, still open in March 2026, does not take work
    dated 31.12.2025 (the 2025 credit expired): work is logged within the tariff's days."""
    customer = two_year_customer()
    with time_machine.travel(datetime(2025, 12, 15, 9, 0, tzinfo=ZoneInfo("Europe/Zurich"))):
        case = case_create(customer=customer, channel="phone", subject="old case")
    with pytest.raises(ValidationError, match=r"from 23\.02\.2026 to today"):
        time_entry_add(case=case, activity="support", minutes=5, performed_on=date(2025, 12, 31))
    grant_2025 = CreditGrant.objects.get(customer=customer, valid_to=date(2025, 12, 31))
    assert not grant_2025.draws.exists()
    entry = time_entry_add(case=case, activity="support", minutes=5, performed_on=TODAY)
    assert entry.usage.credit_minutes == 5


@pytest.mark.django_db
def test_credit_drawn_and_given_back_keeps_its_grant_empty_instead_of_crashing():
    customer = rental_customer(variant="standard")
    case = case_create(customer=customer, channel="phone", subject="x")
    time_entry_add(case=case, activity="support", minutes=5, performed_on=TODAY)
    case_mark_verified_bug(case=case, bug_reference="Q3-1")  # the credit goes back
    period = RentalPeriod.objects.get()
    change_period(period, annual_rent=Decimal("50.00"))  # below the threshold: no credit any more
    grant = CreditGrant.objects.get(customer=customer)
    assert grant.minutes == 0 and grant.draws.exists()


@pytest.mark.django_db
def test_extending_a_period_backwards_keeps_the_drawn_grant_with_its_year():
    customer = rental_customer(variant="standard")
    case = case_create(customer=customer, channel="phone", subject="x")
    time_entry_add(case=case, activity="support", minutes=5, performed_on=TODAY)
    drawn = CreditGrant.objects.get(customer=customer)
    period = RentalPeriod.objects.get()
    change_period(period, start=date(2025, 1, 1))
    grants = list(CreditGrant.objects.filter(rental_period=period).order_by("valid_from"))
    assert [(g.valid_from, g.valid_to) for g in grants] == [
        (date(2025, 1, 1), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 12, 31)),
    ]
    assert grants[1] == drawn


@pytest.mark.django_db
def test_marking_works_when_an_entry_day_is_no_longer_covered_by_a_period():
    """Reposting accepted work does not ask R1 again on its day."""
    customer = rental_customer(variant="standard", rent=Decimal("50.00"))  # no credit
    case = case_create(customer=customer, channel="phone", subject="x", opened_on=date(2026, 2, 27))
    time_entry_add(case=case, activity="support", minutes=30, performed_on=date(2026, 2, 27))
    period = RentalPeriod.objects.get()
    change_period(period, start=date(2026, 3, 1))  # the contract start corrected; no credit drawn
    case_mark_verified_bug(case=case, bug_reference="Q3-1")
    assert work_summary(customer=customer, work_ref=case.reference).billable_minutes == 0


def _old_style_two_year_grant(customer, drawn_on):
    """The state before one grant per rental year: one grant for a two-year period."""
    period = RentalPeriod.objects.get()
    CreditGrant.objects.filter(rental_period=period).delete()
    RentalPeriod.objects.filter(pk=period.pk).update(start=date(2025, 1, 1), end=date(2026, 12, 31))
    CreditGrant.objects.create(
        customer=customer,
        source="licence",
        rental_period=period,
        valid_from=date(2025, 1, 1),
        valid_to=date(2026, 12, 31),
        minutes=10,  # enough to be drawn in both years
        tariff=Tariff.objects.get(),
    )
    if drawn_on:
        for day in drawn_on:
            record_usage(
                customer=customer,
                activity="support",
                minutes=1,
                performed_on=day,
                work_ref=f"C-{day:%Y%m%d}",
            )
    return period


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("drawn_on", "years"),
    [
        ([], [(date(2025, 1, 1), date(2025, 12, 31)), (date(2026, 1, 1), date(2026, 12, 31))]),
        (
            [date(2026, 2, 2)],
            [(date(2025, 1, 1), date(2025, 12, 31)), (date(2026, 1, 1), date(2026, 12, 31))],
        ),
        ([date(2025, 6, 2), date(2026, 2, 2)], [(date(2025, 1, 1), date(2026, 12, 31))]),
    ],
    ids=["unused", "drawn-in-year-two", "drawn-in-both-years"],
)
def test_the_migration_splits_a_two_year_grant_into_its_rental_years(drawn_on, years):
    customer = rental_customer(variant="standard")
    period = _old_style_two_year_grant(customer, drawn_on)
    migration = importlib.import_module("billing.migrations.0009_grant_per_rental_year")
    migration.split_multi_year_grants(apps, None)
    grants = CreditGrant.objects.filter(rental_period=period).order_by("valid_from")
    assert [(g.valid_from, g.valid_to) for g in grants] == years
    drawn = [g for g in grants if g.draws.exists()]
    for grant in drawn:  # the draws stay inside their grant's validity
        days = grant.draws.values_list("usage__performed_on", flat=True)
        assert all(grant.valid_from <= day <= grant.valid_to for day in days)
    if len(years) == 2:  # the period can be edited afterwards
        period.refresh_from_db()
        change_period(period, annual_rent=Decimal("500.00"))


@pytest.mark.django_db
def test_swapping_one_main_module_for_another_in_the_admin(client, admin_user):
    """COFI+SAL → COFI+FAC keeps "several main modules": saved, no error on the way."""
    customer = rental_customer(variant="profi", modules=["COFI", "SAL"])
    case = case_create(customer=customer, channel="phone", subject="x")
    time_entry_add(case=case, activity="support", minutes=20, performed_on=TODAY)
    licence = customer.licences.get()
    period = RentalPeriod.objects.get()
    data = {
        "customer": licence.customer_id,
        "kind": "rental",
        "variant": licence.variant,
        "modules": [Module.objects.get(code="COFI").pk, Module.objects.get(code="FAC").pk],
        "rental_periods-TOTAL_FORMS": "1",
        "rental_periods-INITIAL_FORMS": "1",
        "rental_periods-MIN_NUM_FORMS": "0",
        "rental_periods-MAX_NUM_FORMS": "1000",
        "rental_periods-0-id": period.pk,
        "rental_periods-0-licence": licence.pk,
        "rental_periods-0-start": "2026-01-01",
        "rental_periods-0-end": "2026-12-31",
        "rental_periods-0-annual_rent": "480.00",
    }
    client.force_login(admin_user)
    response = client.post(f"/admin/customers/licence/{licence.pk}/change/", data)
    assert response.status_code == 302
    assert set(licence.modules.values_list("code", flat=True)) == {"COFI", "FAC"}
    assert CreditGrant.objects.get(customer=customer).minutes == 25
    # One main module is refused on the form: 20 minutes are used, 15 would be granted.
    data["modules"] = [Module.objects.get(code="COFI").pk]
    response = client.post(
        f"/admin/customers/licence/{licence.pk}/change/", data, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "20 minutes of the credit" in response.content.decode()
    assert CreditGrant.objects.get(customer=customer).minutes == 25


# --- two desks at once (real row locks) -------------------------------------------------


def _thread(fn, errors):
    def run():
        translation.activate("en")
        try:
            fn()
        except Exception as exc:  # a failure in the thread fails the test below
            errors.append(repr(exc))
        finally:
            connection.close()

    return threading.Thread(target=run)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_time_logged_while_the_case_is_being_marked_is_free():
    customer = rental_customer(variant="standard")
    case = case_create(customer=customer, channel="phone", subject="x")
    marked, errors = threading.Event(), []

    def mark():
        with transaction.atomic():
            case_mark_verified_bug(case=case, bug_reference="Q3-1")
            marked.set()
            time.sleep(1.0)  # the desk's entry arrives while the marking commits

    def add():
        marked.wait()
        time_entry_add(case=case, activity="support", minutes=30, performed_on=TODAY)

    threads = [_thread(mark, errors), _thread(add, errors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert TimeEntry.objects.get().usage.activity == "verified_bug"


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_marking_and_removing_an_entry_at_once_do_not_deadlock():
    customer = rental_customer(variant="standard")
    case = case_create(customer=customer, channel="phone", subject="x")
    entry = time_entry_add(case=case, activity="support", minutes=10, performed_on=TODAY)
    started, errors = threading.Event(), []

    def remove():
        with transaction.atomic():
            time_entry_remove(entry=entry)
            started.set()
            time.sleep(0.5)

    def mark():
        started.wait()
        case_mark_verified_bug(case=case, bug_reference="Q3-1")

    threads = [_thread(remove, errors), _thread(mark, errors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Case.objects.get(pk=case.pk).verified_bug_at is not None


@pytest.mark.django_db
def test_no_time_is_dated_into_a_month_already_invoiced_on_an_open_case():
    """R13: once February is invoiced, a case still open refuses work dated in February,
    and the quote refuses it with the same words."""
    from billing.selectors import quote
    from billing.services import invoice_drafts, invoice_issue
    from cases.services import first_work_day
    from tests.factories import make_company

    make_company()
    customer = rental_customer(variant="standard")
    case = case_create(customer=customer, channel="phone", subject="x", opened_on=date(2026, 2, 27))
    time_entry_add(case=case, activity="support", minutes=30, performed_on=date(2026, 2, 27))
    (draft,) = invoice_drafts(
        period_start=date(2026, 2, 1), period_end=date(2026, 2, 28), customers=[customer]
    )
    invoice_issue(invoice=draft, issued_on=TODAY)
    assert first_work_day(Case.objects.get(pk=case.pk)) == date(2026, 3, 1)
    with pytest.raises(ValidationError, match=r"from 01\.03\.2026 to today") as refused:
        time_entry_add(case=case, activity="support", minutes=5, performed_on=date(2026, 2, 27))
    with pytest.raises(ValidationError) as quoted:
        quote(
            customer=customer,
            activity="support",
            minutes=5,
            on=date(2026, 2, 27),
            work_ref=case.reference,
            not_before=first_work_day(case),
        )
    assert quoted.value.messages == refused.value.messages
    time_entry_add(case=case, activity="support", minutes=5, performed_on=date(2026, 3, 1))
