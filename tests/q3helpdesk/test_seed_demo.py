"""`seed_demo`: realistic, idempotent demo data covering every rule, and bulk generation."""

from datetime import date, datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F, Q

from billing.models import Tariff
from customers.models import (
    Contact,
    Customer,
    HalfFareSubscription,
    Licence,
    RentalPeriod,
    SupportPlusRegistration,
    SupportPlusSubscription,
)
from customers.selectors import StatusCode, support_status
from q3helpdesk.demo import seeding

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 26)


def _counts():
    return [
        m.objects.count()
        for m in (
            Customer,
            Contact,
            Licence,
            RentalPeriod,
            HalfFareSubscription,
            SupportPlusSubscription,
            SupportPlusRegistration,
            get_user_model(),
        )
    ]


def test_seed_demo_is_idempotent_and_prints_the_logins(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    first = _counts()
    call_command("seed_demo")
    assert _counts() == first
    out = capsys.readouterr().out
    for username in ("infoline", "support", "billing", "manager", "admin"):
        assert username in out


def test_seed_demo_runs_on_29_february(settings):
    """The demo's rental years start on the day it is seeded: a leap day ends on 28 February."""
    settings.DEBUG = True
    with time_machine.travel(datetime(2028, 2, 29, 9, 0, tzinfo=ZoneInfo("Europe/Zurich"))):
        call_command("seed_demo")
        assert seeding.seed_scale(40, date(2028, 2, 29)) == 40
    assert RentalPeriod.objects.exists()
    assert not RentalPeriod.objects.filter(end__lt=F("start")).exists()


def test_seed_demo_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_demo")
    assert Customer.objects.count() == 0


def test_one_demo_user_per_role_and_an_administrator():
    seeding.seed_users()
    User = get_user_model()
    for username, role in [
        ("infoline", "Infoline"),
        ("support", "Support"),
        ("billing", "Billing"),
        ("manager", "Manager"),
    ]:
        user = User.objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert user.check_password(seeding.DEMO_PASSWORD) and not user.is_staff
    assert User.objects.get(username="admin").is_superuser


def test_demo_customers_cover_every_rule():
    seeding.seed_customers(TODAY)
    customers = {c.number: c for c in Customer.objects.all()}
    assert len(customers) == 14
    assert {c.language for c in customers.values()} == {"fr", "de"}
    statuses = {n: support_status(customer=c, on=TODAY) for n, c in customers.items()}

    assert {s.variant for s in statuses.values() if s.eligible} == {
        "standard",
        "advanced",
        "profi",
        "premium",
    }
    assert {s.several_main_modules for s in statuses.values() if s.eligible} == {True, False}
    codes = {s.code for s in statuses.values()}
    assert {
        StatusCode.CURRENT_RENTAL,
        StatusCode.PURCHASE_ONLY,
        StatusCode.RENTAL_EXPIRED,
        StatusCode.NO_LICENCE,
        StatusCode.RENTAL_NOT_STARTED,
    } <= codes
    threshold = Tariff.objects.get().credit_threshold
    rents = [s.rental_period.annual_rent for s in statuses.values() if s.eligible]
    assert any(r < threshold for r in rents) and any(r >= threshold for r in rents)
    assert any(r == threshold for r in rents)  # exactly CHF 100.00
    assert any(s.half_fare for s in statuses.values())
    plus = [s for s in statuses.values() if s.support_plus]
    assert plus and any(len(s.registered_contact_ids) > 1 for s in plus)
    # An expired period sits next to a current one for most customers.
    assert RentalPeriod.objects.filter(end__lt=TODAY).exists()
    for customer in customers.values():
        assert customer.phone and phonenumbers.is_valid_number(customer.phone)
        assert len(customer.postcode) == 4


def test_scale_generates_consistent_customers_in_bulk():
    added = seeding.seed_scale(300, TODAY)
    assert added == 300
    assert seeding.seed_scale(300, TODAY) == 0  # idempotent
    generated = Customer.objects.filter(number__in=[str(100000 + i) for i in range(1, 301)])
    assert generated.count() == 300
    assert Contact.objects.filter(customer__in=generated).count() >= 300

    # Every phone number is a valid Swiss number stored as E.164.
    for phone in list(generated.values_list("phone", flat=True)) + list(
        Contact.objects.values_list("phone", flat=True)
    ):
        number = phonenumbers.parse(str(phone))
        assert phonenumbers.is_valid_number(number), phone

    # Rental periods never overlap and rents are never negative.
    for licence in Licence.objects.prefetch_related("rental_periods"):
        spans = sorted((p.start, p.end) for p in licence.rental_periods.all())
        assert all(a_end < b_start for (_, a_end), (b_start, _) in pairwise(spans))
        assert all(p.annual_rent >= 0 for p in licence.rental_periods.all())
        if licence.kind == "purchase":
            assert not spans

    # Support+ only for current profi/premium; additional persons only with half-fare.
    for sub in SupportPlusSubscription.objects.annotate(n=Count("registrations")):
        status = support_status(customer=sub.customer, on=sub.start)
        assert status.eligible and status.variant in {"profi", "premium"}
        if sub.n > 1:
            assert status.half_fare is not None
    eligible = sum(support_status(customer=c, on=TODAY).eligible for c in generated[:100])
    assert 40 <= eligible <= 95  # a realistic mix, not all the same


def test_scale_respects_the_support_plus_capacity():
    Tariff.objects.update(support_plus_capacity=3)
    seeding.seed_scale(400, TODAY)
    active = SupportPlusSubscription.objects.filter(Q(start__lte=TODAY) & Q(end__gte=TODAY))
    assert active.count() == 3


def test_the_demo_customer_base_goes_to_the_erp_and_comes_back_unchanged():
    """Every demo licence carries an ERP number, so the demo's export holds the whole base:
    customers, contacts, licences, rental periods, half-fare and Support+ — and importing
    it again changes nothing."""
    from customers.erp.outcomes import Outcome
    from customers.erp.writing import erp_export
    from customers.models import Licence
    from customers.services import erp_import

    seeding.seed_customers(TODAY)
    seeding.seed_scale(20, TODAY)
    assert not Licence.objects.filter(number__isnull=True).exists()
    assert Licence.objects.filter(number="L-10001-1", customer__number="10001").exists()
    export = erp_export(fmt="csv", language="fr")
    assert export.unnumbered == 0 and export.customers == 34
    report = erp_import(content=export.content, name="demo.csv")
    records = {line.row.cells["record"] for line in report.lines}
    assert {"Licence", "Période de location", "Demi-tarif", "Support+"} <= records
    assert {line.outcome for line in report.lines} == {Outcome.UNCHANGED}
