"""The demo seeding's ledger checks: a broken invariant is found and fails `seed_demo`."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.db.models import Min

from billing.models import CreditGrant, Invoice, InvoiceLine, Usage, UsageDraw
from billing.selectors import charge_posting
from cases.models import Case
from customers.models import Customer
from q3helpdesk.demo import ledger as demo_ledger
from q3helpdesk.demo.checks import ledger_problems

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 15, 30, tzinfo=ZoneInfo("Europe/Zurich"))


def _seed(settings, *args):
    settings.DEBUG = True
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", *args)


def test_years_must_be_sensible(settings):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="--years"):
        call_command("seed_demo", "--scale", "5", "--years", "0")
    assert not Customer.objects.exists()


def test_a_broken_ledger_fails_the_seeding_and_writes_nothing(settings, monkeypatch):
    """A bug in the bulk posting is caught by the invariants; nothing of the activity stays."""

    def off_by_a_centime(**kwargs):
        charge = charge_posting(**kwargs)
        return type(charge)(**{**charge.__dict__, "amount": charge.amount + Decimal("0.01")})

    monkeypatch.setattr(demo_ledger, "charge_posting", off_by_a_centime)
    with pytest.raises(CommandError, match="invariants"):
        _seed(settings, "--scale", "20")
    assert not Case.objects.exists() and not Usage.objects.exists()
    assert not Invoice.objects.exists()


@pytest.fixture
def one_year(settings):
    _seed(settings, "--scale", "20")
    assert ledger_problems() == []


def _first(queryset):
    item = queryset.order_by("pk").first()
    assert item is not None
    return item


def test_an_overdrawn_grant_is_found(one_year):
    usage = _first(Usage.objects.filter(credit_minutes__gt=0))
    grant = _first(CreditGrant.objects.filter(draws__usage=usage))
    # A usage that drew its credit twice: its credit is no longer its draws, and the
    # grant is overdrawn.
    UsageDraw.objects.bulk_create([UsageDraw(usage=usage, grant=grant, minutes=grant.minutes)])
    problems = " | ".join(ledger_problems())
    assert "overdrawn" in problems and "credit is not their draws" in problems


def test_a_usage_invoiced_on_no_invoice_is_found(one_year):
    usage = _first(Usage.objects.filter(invoiced_at__isnull=True).exclude(billable_minutes=0))
    Usage.objects.filter(pk=usage.pk).mark_invoiced(NOW)
    assert any("marked invoiced on no issued invoice" in p for p in ledger_problems())


def test_a_wrong_case_amount_is_found(one_year):
    usage = _first(Usage.objects.exclude(billable_minutes=0))
    Usage.objects.bulk_create(
        [
            Usage(
                customer_id=usage.customer_id,
                activity=usage.activity,
                work_ref=usage.work_ref,
                performed_on=usage.performed_on,
                logged_minutes=1,
                charged_minutes=0,
                credit_minutes=0,
                billable_minutes=0,
                free_minutes=0,
                rate=usage.rate,
                amount=Decimal("1.00"),
                tariff=usage.tariff,
            )
        ]
    )
    assert any("R12" in p for p in ledger_problems())


def test_invoice_totals_and_numbers_are_checked(one_year):
    line = _first(InvoiceLine.objects.filter(kind="work"))
    invoice = line.invoice
    # Raw SQL, as a bug writing around the ORM's guards would. PostgreSQL's triggers
    # refuse even that: there the frozen invoice cannot be broken, and the check is clean.
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE billing_invoiceline SET amount = amount + 1 WHERE id = %s", [line.pk]
            )
        assert ledger_problems() == []
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE billing_invoiceline SET amount = amount + 1 WHERE id = %s", [line.pk]
        )
        cursor.execute(
            "UPDATE billing_invoice SET number = %s WHERE id = %s",
            [f"{invoice.number[:4]}-99999", invoice.pk],
        )
    problems = " | ".join(ledger_problems())
    assert "work lines that are not their usages" in problems
    assert "do not add up" in problems
    assert "gaps" in problems


def test_one_year_keeps_the_default_span(one_year):
    assert Case.objects.aggregate(first=Min("opened_on"))["first"] >= date(2025, 12, 1)
