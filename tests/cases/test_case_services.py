from datetime import date
from decimal import Decimal
from functools import partial

import pytest
from django.core.exceptions import ValidationError

from billing.models import Usage
from billing.selectors import work_summary
from cases.models import Case, TimeEntry
from cases.services import (
    case_mark_verified_bug,
    case_set_status,
    time_entry_add,
    time_entry_remove,
)
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    LicenceFactory,
    make_case,
    rental_customer,
)
from tests.factories import support_plus as subscribe_support_plus

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)


open_case = partial(make_case, subject="VAT report")


def test_case_and_time_entries_charge_under_the_case_reference():
    customer = rental_customer(variant="standard")  # 5 min credit
    case = open_case(customer)
    first = time_entry_add(case=case, activity="support", minutes=3, performed_on=DAY)
    second = time_entry_add(case=case, activity="support", minutes=4, performed_on=DAY)
    assert first.usage.work_ref == case.reference == f"C-{case.pk}"
    assert (
        first.usage.credit_minutes,
        second.usage.charged_minutes,
        second.usage.billable_minutes,
    ) == (5, 5, 5)
    summary = work_summary(customer=customer, work_ref=case.reference)
    assert (summary.logged_minutes, summary.charged_minutes, summary.amount) == (
        7,
        10,
        Decimal("14.58"),
    )


def test_removing_an_entry_reverses_it_and_keeps_it_visible():
    customer = rental_customer(rent=Decimal(0))
    case = open_case(customer)
    entry = time_entry_add(case=case, activity="support", minutes=10, performed_on=DAY)
    removed = time_entry_remove(entry=entry, reason="wrong case")
    assert removed.is_removed and removed.reversal.reverses == entry.usage
    assert TimeEntry.objects.count() == 1
    with pytest.raises(ValidationError, match="already been removed"):
        time_entry_remove(entry=entry)
    assert work_summary(customer=customer, work_ref=case.reference).charged_minutes == 0


def test_not_eligible_customer_gets_only_a_lead_without_time():
    customer = CustomerFactory()
    LicenceFactory(customer=customer, kind="purchase")
    with pytest.raises(ValidationError, match="rental-switch lead"):
        open_case(customer)
    lead = open_case(customer, kind="lead", subject="Interested in the rental version")
    with pytest.raises(ValidationError, match="never charged"):
        time_entry_add(case=lead, activity="support", minutes=5, performed_on=DAY)
    assert Case.objects.count() == 1 and Usage.objects.count() == 0


def test_support_plus_cases_are_marked():
    customer = rental_customer(variant="premium")
    anna, ben = ContactFactory(customer=customer), ContactFactory(customer=customer)
    subscribe_support_plus(customer, [anna])
    assert open_case(customer, contact=anna, channel="support_plus").support_plus
    assert not open_case(customer, contact=ben).support_plus
    with pytest.raises(ValidationError, match="Support\\+ direct line"):
        open_case(customer, contact=ben, channel="support_plus")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"subject": ""}, "The subject is required"),
        ({"subject": "x" * 201}, "at most 200"),
        ({"channel": "fax"}, "Choose a channel"),
        ({"kind": "complaint"}, "support case or a lead"),
        ({"contact": "other"}, "not a contact of this customer"),
    ],
)
def test_bad_case_input_is_refused(kwargs, message):
    customer = rental_customer()
    if kwargs.get("contact") == "other":
        kwargs["contact"] = ContactFactory()
    with pytest.raises(ValidationError, match=message):
        open_case(customer, **kwargs)
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"minutes": 0}, "more than 0"),
        ({"minutes": -10}, "more than 0"),
        ({"performed_on": date(2026, 3, 3)}, "future"),
        ({"activity": "nap"}, "Unknown activity"),
        ({"note": "x" * 201}, "at most 200"),
    ],
)
def test_bad_time_entry_is_refused_and_nothing_saved(kwargs, message):
    case = open_case(rental_customer())
    args = {"case": case, "activity": "support", "minutes": 10, "performed_on": DAY, **kwargs}
    with pytest.raises(ValidationError, match=message):
        time_entry_add(**args)
    assert TimeEntry.objects.count() == 0 and Usage.objects.count() == 0


def test_status_flow_and_no_time_on_a_closed_case():
    case = open_case(rental_customer())
    case = case_set_status(case=case, status="waiting")
    case = case_set_status(case=case, status="resolved")
    assert case.resolved_at is not None
    case = case_set_status(case=case, status="closed")
    with pytest.raises(ValidationError, match="cannot become"):
        case_set_status(case=case, status="open")
    with pytest.raises(ValidationError, match="Reopen the case"):
        time_entry_add(case=case, activity="support", minutes=5, performed_on=DAY)


def test_verified_bug_makes_later_time_free_and_needs_a_reference():
    customer = rental_customer(rent=Decimal(0))
    case = open_case(customer)
    with pytest.raises(ValidationError, match="bug reference is required"):
        case_mark_verified_bug(case=case, bug_reference="  ")
    case_mark_verified_bug(case=case, bug_reference="BUG-4711")
    after = time_entry_add(case=case, activity="support", minutes=20, performed_on=DAY)
    assert (after.activity, after.usage.activity, after.usage.free_minutes) == (
        "support",
        "verified_bug",
        20,
    )
    assert after.usage.amount == Decimal("0.00")
