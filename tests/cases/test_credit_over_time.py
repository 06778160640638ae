"""Credit rules that must hold over time at the desk: work dates (R13) and the verified
software error (R9). The desk works on 2 March 2026 here."""

from datetime import date
from decimal import Decimal
from functools import partial

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum

from billing.models import CreditGrant, Invoice, Usage
from billing.selectors import credit_balance, quote, tariff_in_force, work_summary
from billing.services import invoice_drafts, invoice_issue
from cases.models import Case
from cases.services import (
    case_mark_verified_bug,
    case_unmark_verified_bug,
    time_entry_add,
)
from customers.models import RentalPeriod
from customers.services import licence_update
from tests.factories import RentalPeriodFactory, make_case, make_company, rental_customer

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 2)


def two_year_customer():
    """A standard COFI customer (5 min a year) with its 2025 and its 2026 rental period."""
    customer = rental_customer(variant="standard")
    licence = customer.licences.get()
    RentalPeriodFactory(licence=licence, start=date(2025, 1, 1), end=date(2025, 12, 31))
    return customer


open_case = partial(make_case, subject="VAT report")


# --- R13: no spending of expired credit by backdating ---------------------------------


def test_work_before_the_case_was_received_is_refused_and_leaves_old_credit_alone():
    customer = two_year_customer()
    case = open_case(customer)
    assert case.opened_on == TODAY
    with pytest.raises(ValidationError, match=r"from 02\.03\.2026 to today"):
        time_entry_add(case=case, activity="support", minutes=5, performed_on=date(2025, 12, 31))
    assert not Usage.objects.exists()
    old_grant = CreditGrant.objects.get(customer=customer, valid_to=date(2025, 12, 31))
    assert not old_grant.draws.exists()


def test_quote_refuses_the_same_days_with_the_same_message():
    customer = two_year_customer()
    case = open_case(customer)
    with pytest.raises(ValidationError) as refused_quote:
        quote(
            customer=customer,
            activity="support",
            minutes=5,
            on=date(2026, 2, 27),
            work_ref=case.reference,
            not_before=case.opened_on,
        )
    with pytest.raises(ValidationError) as refused_entry:
        time_entry_add(case=case, activity="support", minutes=5, performed_on=date(2026, 2, 27))
    assert refused_quote.value.messages == refused_entry.value.messages


def test_a_call_recorded_late_may_be_dated_back_up_to_the_tariffs_days():
    customer = two_year_customer()
    case = open_case(customer, opened_on=date(2026, 2, 23))  # 7 days back: the default
    entry = time_entry_add(case=case, activity="support", minutes=5, performed_on=date(2026, 2, 23))
    assert entry.usage.credit_minutes == 5
    with pytest.raises(ValidationError, match=r"at most 7 days, to 23\.02\.2026"):
        open_case(customer, opened_on=date(2026, 2, 22))
    with pytest.raises(ValidationError, match="future"):
        open_case(customer, opened_on=date(2026, 3, 3))
    assert Case.objects.count() == 1


def test_the_days_a_case_may_be_dated_back_come_from_the_tariff():
    customer = two_year_customer()
    tariff = tariff_in_force(on=TODAY)
    tariff.backdating_days = 2
    tariff.save()
    open_case(customer, opened_on=date(2026, 2, 28))
    with pytest.raises(ValidationError, match=r"at most 2 days, to 28\.02\.2026"):
        open_case(customer, opened_on=date(2026, 2, 27))


def test_a_case_is_never_dated_into_a_month_already_invoiced():
    customer = two_year_customer()
    invoice = Invoice.objects.create(
        customer=customer,
        period_start=date(2026, 2, 1),
        period_end=date(2026, 2, 28),
        status="issued",
        number="2026-00001",
        issued_on=date(2026, 3, 1),
        vat_rate=Decimal("8.10"),
    )
    with pytest.raises(ValidationError, match=r"invoiced up to 28\.02\.2026"):
        open_case(customer, opened_on=date(2026, 2, 27))
    open_case(customer, opened_on=date(2026, 3, 1))
    # A cancelled invoice no longer closes its month.
    Invoice.objects.filter(pk=invoice.pk).transition(status="cancelled")
    open_case(customer, opened_on=date(2026, 2, 27))


def test_case_form_takes_the_day_the_call_came_in(client, user_with_role):
    from q3helpdesk.roles import Role

    client.force_login(user_with_role(Role.INFOLINE))
    customer = two_year_customer()
    url = f"/cases/new/?customer={customer.number}"
    response = client.post(
        url, {"channel": "phone", "subject": "Late", "kind": "case", "opened_on": "20.02.2026"}
    )
    assert response.status_code == 200
    assert "23.02.2026" in response.content.decode()  # the earliest day, in the error
    assert not Case.objects.exists()
    response = client.post(
        url, {"channel": "phone", "subject": "Late", "kind": "case", "opened_on": "27.02.2026"}
    )
    assert response.status_code == 302
    assert Case.objects.get().opened_on == date(2026, 2, 27)


# --- R9: a verified software error, also for the time logged before the marking -------


def bug_case():
    """Standard COFI customer (5 min credit): support 30, data check 10, programming 60."""
    customer = rental_customer(variant="standard")
    case = open_case(customer)
    entries = [
        time_entry_add(case=case, activity=activity, minutes=minutes, performed_on=TODAY)
        for activity, minutes in (("support", 30), ("data_check", 10), ("programming", 60))
    ]
    return customer, case, entries


def test_marking_makes_earlier_support_and_data_checks_free_and_gives_the_credit_back():
    customer, case, entries = bug_case()
    before = work_summary(customer=customer, work_ref=case.reference)
    # 25 min support at 175 + 10 min data check at 175 + 60 min programming at 195
    assert (before.credit_minutes, before.billable_minutes, before.amount) == (
        5,
        95,
        Decimal("72.92") + Decimal("29.17") + Decimal("195.00"),
    )
    assert credit_balance(customer=customer, on=TODAY).remaining == 0
    originals = list(Usage.objects.order_by("pk"))

    case_mark_verified_bug(case=case, bug_reference="Q3-4711")

    after = work_summary(customer=customer, work_ref=case.reference)
    assert (after.credit_minutes, after.billable_minutes, after.free_minutes) == (0, 60, 40)
    assert after.amount == Decimal("195.00")  # programming keeps its rate
    assert credit_balance(customer=customer, on=TODAY).remaining == 5
    # The ledger reversed and reposted; the original postings are untouched.
    for usage in originals:
        stored = Usage.objects.get(pk=usage.pk)
        assert (stored.activity, stored.charged_minutes, stored.amount) == (
            usage.activity,
            usage.charged_minutes,
            usage.amount,
        )
    assert Usage.objects.filter(reverses__isnull=False).count() == 2
    support, data_check, programming = (e.__class__.objects.get(pk=e.pk) for e in entries)
    assert (support.activity, support.usage.activity) == ("support", "verified_bug")
    assert (data_check.activity, data_check.usage.activity) == ("data_check", "verified_bug")
    assert programming.usage_id == entries[2].usage_id


def test_unmarking_restores_the_normal_charging_through_the_ledger():
    customer, case, _ = bug_case()
    before = work_summary(customer=customer, work_ref=case.reference)
    case_mark_verified_bug(case=case, bug_reference="Q3-4711")
    case_unmark_verified_bug(case=Case.objects.get(pk=case.pk))
    case = Case.objects.get(pk=case.pk)
    assert (case.verified_bug_at, case.bug_reference) == (None, "")
    after = work_summary(customer=customer, work_ref=case.reference)
    assert after == before
    assert credit_balance(customer=customer, on=TODAY).remaining == 0
    assert Usage.objects.filter(reverses__isnull=False).count() == 4
    with pytest.raises(ValidationError, match="not marked"):
        case_unmark_verified_bug(case=case)


def test_time_logged_after_the_marking_keeps_the_rates_of_training_and_programming():
    customer = rental_customer(variant="standard")
    case = open_case(customer)
    case_mark_verified_bug(case=case, bug_reference="Q3-4711")
    programming = time_entry_add(case=case, activity="programming", minutes=60, performed_on=TODAY)
    training = time_entry_add(case=case, activity="training", minutes=30, performed_on=TODAY)
    data_check = time_entry_add(case=case, activity="data_check", minutes=20, performed_on=TODAY)
    assert (programming.usage.activity, programming.usage.amount) == (
        "programming",
        Decimal("195.00"),
    )
    assert (training.usage.activity, training.usage.amount) == ("training", Decimal("87.50"))
    assert (data_check.usage.activity, data_check.usage.amount) == (
        "verified_bug",
        Decimal("0.00"),
    )


def test_invoiced_time_stays_as_invoiced_and_the_case_page_says_so(client, user_with_role):
    from q3helpdesk.roles import Role

    make_company()
    customer = rental_customer(variant="standard")
    case = open_case(customer, opened_on=date(2026, 2, 27))
    invoiced = time_entry_add(
        case=case, activity="support", minutes=30, performed_on=date(2026, 2, 27)
    )
    (draft,) = invoice_drafts(
        period_start=date(2026, 2, 1), period_end=date(2026, 2, 28), customers=[customer]
    )
    invoice = invoice_issue(invoice=draft, issued_on=TODAY)
    later = time_entry_add(case=case, activity="support", minutes=10, performed_on=TODAY)

    case_mark_verified_bug(case=case, bug_reference="Q3-4711")

    invoiced.refresh_from_db()
    later.refresh_from_db()
    assert invoiced.usage.invoiced_at is not None
    assert (invoiced.usage.activity, invoiced.usage.billable_minutes) == ("support", 25)
    assert later.usage.activity == "verified_bug"
    invoice.refresh_from_db()
    assert invoice.total > 0 and invoice.status == "issued"

    client.force_login(user_with_role(Role.SUPPORT))
    page = client.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert page.count('data-testid="entry-invoiced"') == 1
    assert page.count('data-testid="entry-free"') == 1


def test_unmark_through_the_case_page(client, user_with_role):
    from q3helpdesk.roles import Role

    customer, case, _ = bug_case()
    client.force_login(user_with_role(Role.SUPPORT))
    client.post(f"/cases/{case.pk}/verified-bug/", {"bug_reference": "Q3-4711"})
    assert work_summary(customer=customer, work_ref=case.reference).billable_minutes == 60
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="bug-undo-form"' in page
    client.post(f"/cases/{case.pk}/verified-bug/undo/")
    assert work_summary(customer=customer, work_ref=case.reference).billable_minutes == 95


def test_a_period_change_that_would_take_back_drawn_credit_is_refused_in_code():
    """Removing the main modules in code after the credit was used: the grant would become
    smaller than what was drawn, so the change is refused and nothing changes."""
    from django.db import transaction

    customer = rental_customer(variant="profi", modules=["COFI", "SAL"])  # 25 min
    case = open_case(customer)
    time_entry_add(case=case, activity="support", minutes=20, performed_on=TODAY)
    licence = customer.licences.get()
    with pytest.raises(ValidationError, match="20 minutes of the credit"), transaction.atomic():
        licence_update(licence=licence, variant="profi", modules=["COFI"])
    assert set(licence.modules.values_list("code", flat=True)) == {"COFI", "SAL"}
    grant = CreditGrant.objects.get(customer=customer)
    assert grant.minutes == 25
    assert grant.draws.aggregate(used=Sum("minutes"))["used"] == 20
    assert RentalPeriod.objects.count() == 1


def test_the_customer_page_shows_earlier_credit_as_it_stood_at_its_end(client, user_with_role):
    from billing.services import record_usage
    from q3helpdesk.roles import Role

    customer = two_year_customer()  # 5 min in 2025 and 5 min in 2026
    record_usage(
        customer=customer,
        activity="support",
        minutes=3,
        performed_on=date(2025, 6, 2),
        work_ref="C-2025",
    )
    client.force_login(user_with_role(Role.INFOLINE))
    page = client.get(f"/customers/{customer.number}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert page.count('data-testid="credit-history-row"') == 1
    assert "01.01.2025–31.12.2025" in page
    assert "5 of 5 min used, 0 min left at the end" in page
