"""Invoices: drafts, issuing, numbers, immutability and credit notes (R7, R12)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from stdnum import iso11649
from stdnum.ch import esr

from billing.models import (
    Company,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Tariff,
    Usage,
)
from billing.rules import creditor_reference, invoice_totals, qr_reference
from billing.services import (
    invoice_cancel,
    invoice_discard,
    invoice_drafts,
    invoice_issue,
    invoice_line_remove,
    usage_reverse,
)
from customers.services import half_fare_subscribe
from tests.factories import (
    IBAN,
    ContactFactory,
    CustomerFactory,
    RentalPeriodFactory,
    issued_invoice,
    make_company,
    make_invoice,
    make_usage,
    no_credit_customer,
    rental_customer,
)
from tests.factories import support_plus as subscribe_support_plus

pytestmark = pytest.mark.django_db

MARCH = {"period_start": date(2026, 3, 1), "period_end": date(2026, 3, 31)}
APRIL = {"period_start": date(2026, 4, 1), "period_end": date(2026, 4, 30)}
ISSUE_DAY = date(2026, 4, 2)


def lines(invoice):
    return [
        (
            line.work_ref,
            line.activity,
            line.charged_minutes,
            line.credit_minutes,
            line.billable_minutes,
            line.rate,
            line.amount,
        )
        for line in invoice.lines.order_by("position")
    ]


# --- R12 arithmetic ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("net", "vat", "rounding", "total"),
    [
        ("58.33", "4.72", "0.00", "63.05"),  # 58.33 × 8.1 % = 4.72473
        ("29.17", "2.36", "0.02", "31.55"),  # 31.53 → 31.55
        ("10.01", "0.81", "-0.02", "10.80"),  # 10.82 → 10.80
        ("565.00", "45.77", "-0.02", "610.75"),  # 45.765 rounds half-up; 610.77 → 610.75
        ("0.00", "0.00", "0.00", "0.00"),
    ],
)
def test_vat_on_the_net_total_and_five_rappen_rounding(net, vat, rounding, total):
    assert invoice_totals(Decimal(net), Decimal("8.10")) == (
        Decimal(vat),
        Decimal(rounding),
        Decimal(total),
    )


@pytest.mark.parametrize("number", ["2026-00001", "2026-00017", "2031-12345"])
def test_payment_references_are_valid_and_come_from_the_number(number):
    reference = qr_reference(number)
    assert len(reference) == 27 and esr.is_valid(reference)
    assert reference[:-1].lstrip("0") == number.replace("-", "")
    scor = creditor_reference(number)
    assert iso11649.is_valid(scor) and scor.endswith(number.replace("-", ""))


# --- drafts ------------------------------------------------------------------------------


def test_20_billable_minutes_at_175_make_58_33():
    customer = no_credit_customer()
    make_usage(customer, 20)
    draft = make_invoice(customer)
    assert lines(draft) == [("C-1", "support", 20, 0, 20, Decimal("175.00"), Decimal("58.33"))]
    assert (draft.status, draft.number, draft.net, draft.vat, draft.total) == (
        "draft",
        None,
        Decimal("58.33"),
        Decimal("4.72"),
        Decimal("63.05"),
    )
    assert draft.vat_rate == Tariff.objects.get().vat_rate == Decimal("8.10")


def test_one_line_per_case_and_activity_with_case_text_contact_and_days():
    customer = no_credit_customer()
    claire = ContactFactory(customer=customer, name="Claire Dupont")
    make_usage(customer, 3, ref="C-1", label="TVA trimestrielle", contact=claire)
    make_usage(
        customer, 7, ref="C-1", on=date(2026, 3, 9), label="TVA trimestrielle", contact=claire
    )
    make_usage(customer, 45, activity="programming", ref="C-1", label="TVA trimestrielle")
    make_usage(customer, 12, ref="C-2", on=date(2026, 3, 20), label="Salaires")
    draft = make_invoice(customer)
    assert lines(draft) == [
        # 3 + 7 = 10 minutes of support in C-1: charged 10 (R5 on the case), not 5 + 10.
        ("C-1", "support", 10, 0, 10, Decimal("175.00"), Decimal("29.17")),
        ("C-1", "programming", 45, 0, 45, Decimal("195.00"), Decimal("146.25")),
        ("C-2", "support", 15, 0, 15, Decimal("175.00"), Decimal("43.75")),
    ]
    first = draft.lines.get(position=1)
    assert (first.text, first.contact_name, first.first_day, first.last_day) == (
        "TVA trimestrielle",
        "Claire Dupont",
        date(2026, 3, 2),
        date(2026, 3, 9),
    )
    assert draft.net == Decimal("219.17")


def test_credit_minutes_are_shown_and_only_the_rest_is_billed():
    customer = rental_customer(variant="premium", modules=["COFI", "SAL"])
    granted = customer.credit_grants.get().minutes
    make_usage(customer, granted - 10, ref="C-1")  # fully from credit: nothing to bill
    make_usage(customer, 30, ref="C-2")  # 10 from credit, 20 billable
    draft = make_invoice(customer)
    assert lines(draft) == [("C-2", "support", 30, 10, 20, Decimal("175.00"), Decimal("58.33"))]
    assert (draft.credit_used_minutes, draft.credit_remaining_minutes) == (granted, 0)


def test_half_fare_rate_for_support():
    customer = no_credit_customer()
    half_fare_subscribe(customer=customer, start=date(2026, 1, 1), end=date(2026, 12, 31))
    make_usage(customer, 30)
    assert lines(make_invoice(customer)) == [
        ("C-1", "support", 30, 0, 30, Decimal("119.00"), Decimal("59.50"))
    ]


def test_support_plus_fee_and_additional_persons():
    customer = rental_customer(variant="profi", rent=Decimal("900.00"))
    # Support+ lies in rental periods and half-fare for its whole term (R7): the renewal.
    RentalPeriodFactory(
        licence=customer.licences.get(), start=date(2027, 1, 1), end=date(2027, 12, 31)
    )
    half_fare_subscribe(customer=customer, start=date(2026, 1, 1), end=date(2026, 12, 31))
    half_fare_subscribe(customer=customer, start=date(2027, 1, 1), end=date(2027, 12, 31))
    persons = [ContactFactory(customer=customer) for _ in range(3)]
    subscribe_support_plus(customer, persons, start=date(2026, 3, 10), end=date(2027, 3, 9))
    draft = make_invoice(customer)
    fees = [(line.kind, line.quantity, line.rate, line.amount) for line in draft.lines.all()]
    assert fees == [
        ("support_plus", 1, Decimal("565.00"), Decimal("565.00")),
        ("support_plus_person", 2, Decimal("115.00"), Decimal("230.00")),
    ]
    assert draft.net == Decimal("795.00")
    # Starting in April: not on the March invoice.
    assert invoice_drafts(**APRIL, customers=[customer]) == []


def test_half_fare_subscription_is_invoiced_only_when_the_tariff_prices_it():
    customer = no_credit_customer()
    half_fare_subscribe(customer=customer, start=date(2026, 3, 1), end=date(2027, 2, 28))
    assert Tariff.objects.get().half_fare_price is None
    assert invoice_drafts(**MARCH, customers=[customer]) == []
    Tariff.objects.update(half_fare_price=Decimal("240.00"))
    draft = make_invoice(customer)
    assert [(line.kind, line.amount) for line in draft.lines.all()] == [
        ("half_fare", Decimal("240.00"))
    ]


def test_running_again_refreshes_drafts_and_never_bills_twice(creditor):
    customer = no_credit_customer()
    other = no_credit_customer()
    make_usage(customer, 20)
    make_usage(other, 10)
    first = invoice_drafts(**MARCH)
    assert {d.customer for d in first} == {customer, other}
    make_usage(customer, 10, ref="C-2")
    again = invoice_drafts(**MARCH)
    assert len(again) == 2 and Invoice.objects.count() == 2  # rebuilt, not added
    mine = next(d for d in again if d.customer == customer)
    assert mine.net == Decimal("58.33") + Decimal("29.17")

    invoice_issue(invoice=mine, issued_on=ISSUE_DAY)
    after = invoice_drafts(**MARCH)
    assert [d.customer for d in after] == [other]
    # A draft of an overlapping period does not take what March holds either.
    quarter = invoice_drafts(period_start=date(2026, 1, 1), period_end=date(2026, 3, 31))
    assert quarter == []
    make_usage(customer, 5, ref="C-3", on=date(2026, 3, 30))
    late = make_invoice(customer)
    assert lines(late) == [("C-3", "support", 5, 0, 5, Decimal("175.00"), Decimal("14.58"))]


def test_a_posting_and_its_reversal_leave_nothing_to_bill():
    customer = no_credit_customer()
    usage_reverse(usage=make_usage(customer, 20))
    assert invoice_drafts(**MARCH, customers=[customer]) == []


def test_removing_a_line_puts_its_usages_back_to_unbilled():
    customer = no_credit_customer()
    make_usage(customer, 20, ref="C-1")
    make_usage(customer, 10, ref="C-2")
    draft = make_invoice(customer)
    kept = invoice_line_remove(line=draft.lines.get(work_ref="C-1"))
    assert kept == draft
    assert [(line.position, line.work_ref) for line in kept.lines.all()] == [(1, "C-2")]
    assert kept.net == Decimal("29.17")
    # The removed case is unbilled again: an April-dated draft of March takes it back on
    # the next run, which rebuilds the draft.
    assert lines(make_invoice(customer))[0][0] == "C-1"
    # Removing the last line discards the draft.
    draft = make_invoice(customer)
    for line in list(draft.lines.all())[:-1]:
        invoice_line_remove(line=line)
    assert invoice_line_remove(line=draft.lines.get()) is None
    assert not Invoice.objects.exists()


def test_discarding_a_draft():
    customer = no_credit_customer()
    make_usage(customer, 20)
    invoice_discard(invoice=make_invoice(customer))
    assert not Invoice.objects.exists()
    assert make_invoice(customer).net == Decimal("58.33")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"period_start": date(2026, 3, 31), "period_end": date(2026, 3, 1)},
            "The end of the period cannot be before its start.",
        ),
        ({"period_start": "2026-03-01", "period_end": date(2026, 3, 31)}, "two dates"),
        (
            {"period_start": date(2025, 1, 1), "period_end": date(2026, 3, 31)},
            "at most one year",
        ),
        ({**MARCH, "customers": [CustomerFactory.build()]}, "existing customers"),
    ],
)
def test_bad_draft_input_is_refused(kwargs, message):
    with pytest.raises(ValidationError, match=message):
        invoice_drafts(**kwargs)


# --- issuing ----------------------------------------------------------------------------


def test_issuing_numbers_copies_the_parties_and_marks_the_usages(creditor):
    customer = no_credit_customer(name="Fiduciaire Léman SA", language="de")
    usage = make_usage(customer, 20)
    invoice = issued_invoice(customer, issued_on=ISSUE_DAY)
    assert (invoice.status, invoice.number, invoice.issued_on, invoice.due_on) == (
        "issued",
        "2026-00001",
        ISSUE_DAY,
        date(2026, 5, 2),
    )
    assert (invoice.debtor_name, invoice.debtor_postcode, invoice.language) == (
        "Fiduciaire Léman SA",
        "1003",
        "de",
    )
    assert (invoice.creditor_name, invoice.creditor_vat_number, invoice.creditor_iban) == (
        "Q3 Software SA",
        "CHE-123.456.788 MWST",
        "CH44 3199 9123 0008 8901 2",
    )
    assert invoice.reference == qr_reference("2026-00001")
    assert (invoice.net, invoice.vat, invoice.rounding, invoice.total) == (
        Decimal("58.33"),
        Decimal("4.72"),
        Decimal("0.00"),
        Decimal("63.05"),
    )
    usage.refresh_from_db()
    assert usage.invoiced_at is not None
    with pytest.raises(ValidationError, match="on an issued invoice"):
        usage_reverse(usage=usage)

    # Later edits of the customer and the company do not change the invoice.
    customer.name = "Renamed SA"
    customer.save()
    Company.objects.update(legal_name="Other SA")
    invoice.refresh_from_db()
    assert (invoice.debtor_name, invoice.creditor_name) == ("Fiduciaire Léman SA", "Q3 Software SA")


def test_numbers_follow_each_other_and_restart_with_the_year(creditor):
    customers = [no_credit_customer() for _ in range(3)]
    for customer in customers:
        make_usage(customer, 10)
    drafts = invoice_drafts(**MARCH)
    issued = [
        invoice_issue(invoice=drafts[0], issued_on=date(2026, 4, 1)).number,
        invoice_issue(invoice=drafts[1], issued_on=date(2026, 12, 31)).number,
        invoice_issue(invoice=drafts[2], issued_on=date(2027, 1, 4)).number,
    ]
    assert issued == ["2026-00001", "2026-00002", "2027-00001"]


def test_an_ordinary_iban_gets_a_creditor_reference():
    make_company(iban=IBAN)
    customer = no_credit_customer()
    make_usage(customer, 10)
    invoice = issued_invoice(customer, issued_on=ISSUE_DAY)
    assert invoice.reference == creditor_reference("2026-00001")
    assert iso11649.is_valid(invoice.reference)


def test_issuing_a_draft_twice_is_refused(creditor):
    customer = no_credit_customer()
    make_usage(customer, 10)
    draft = make_invoice(customer)
    invoice_issue(invoice=draft, issued_on=ISSUE_DAY)
    with pytest.raises(ValidationError, match="already issued"):
        invoice_issue(invoice=draft, issued_on=ISSUE_DAY)
    assert Invoice.objects.get().number == "2026-00001"


def test_issuing_without_company_data_is_refused_and_changes_nothing():
    customer = no_credit_customer()
    usage = make_usage(customer, 10)
    draft = make_invoice(customer)
    with pytest.raises(ValidationError, match=r"company data .* is missing"):
        invoice_issue(invoice=draft, issued_on=ISSUE_DAY)
    draft.refresh_from_db()
    usage.refresh_from_db()
    assert (draft.status, draft.number, usage.invoiced_at) == ("draft", None, None)


def test_issuing_with_an_invalid_account_is_refused(creditor):
    Company.objects.update(iban="CH00 0000 0000 0000 0000 0")
    customer = no_credit_customer()
    make_usage(customer, 10)
    with pytest.raises(ValidationError, match=r"company data is not valid \(iban\)"):
        issued_invoice(customer, issued_on=ISSUE_DAY)


@pytest.mark.parametrize(
    ("issued_on", "message"),
    [
        (date(2027, 3, 16), "in the future"),  # "today" is 15.03.2027 in these tests
        (date(2026, 3, 19), r"before the last day it bills \(20.03.2026\)"),
        ("2026-04-02", "must be a date"),
    ],
)
def test_bad_issue_dates_are_refused(creditor, issued_on, message):
    customer = no_credit_customer()
    make_usage(customer, 10, on=date(2026, 3, 20))
    draft = make_invoice(customer)
    with pytest.raises(ValidationError, match=message):
        invoice_issue(invoice=draft, issued_on=issued_on)
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_a_draft_corrected_after_it_was_made_must_be_refreshed(creditor):
    customer = no_credit_customer()
    usage = make_usage(customer, 20)
    draft = make_invoice(customer)
    usage_reverse(usage=usage)
    with pytest.raises(ValidationError, match="run the period again"):
        invoice_issue(invoice=draft, issued_on=ISSUE_DAY)
    assert invoice_drafts(**MARCH, customers=[customer]) == []  # refreshed: nothing left


def test_an_incomplete_debtor_address_is_refused(creditor):
    customer = no_credit_customer()
    make_usage(customer, 10)
    draft = make_invoice(customer)
    customer.city = ""
    customer.save()
    with pytest.raises(ValidationError, match=r"address of customer .* is incomplete"):
        invoice_issue(invoice=draft, issued_on=ISSUE_DAY)


# --- immutability -----------------------------------------------------------------------


@pytest.fixture
def issued(creditor):
    customer = no_credit_customer()
    make_usage(customer, 20)
    return issued_invoice(customer, issued_on=ISSUE_DAY)


def test_an_issued_invoice_cannot_be_changed_or_deleted(issued):
    issued.total = Decimal("1.00")
    with pytest.raises(ValidationError, match="cannot be changed"):
        issued.save()
    with pytest.raises(ValidationError, match="cannot be deleted"):
        issued.delete()
    with pytest.raises(ValidationError, match="cannot be deleted"):
        Invoice.objects.all().delete()
    line = issued.lines.get()
    line.amount = Decimal("1.00")
    with pytest.raises(ValidationError, match="cannot be changed"):
        line.save()
    with pytest.raises(ValidationError, match="cannot be changed"):
        line.delete()
    with pytest.raises(ValidationError, match="already issued"):
        invoice_line_remove(line=line)
    with pytest.raises(ValidationError, match="already issued"):
        invoice_discard(invoice=issued)
    issued.refresh_from_db()
    assert issued.total == Decimal("63.05") and issued.lines.get().amount == Decimal("58.33")


def test_the_admin_shows_invoices_read_only(client, admin_user, issued):
    client.force_login(admin_user)
    url = f"/admin/billing/invoice/{issued.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and "2026-00001" in page.content.decode()
    assert client.post(url, {"total": "1.00"}).status_code == 403
    assert client.get(f"/admin/billing/invoice/{issued.pk}/delete/").status_code == 403
    assert client.get("/admin/billing/invoice/add/").status_code == 403
    issued.refresh_from_db()
    assert issued.total == Decimal("63.05")


# --- cancelling -------------------------------------------------------------------------


def test_cancelling_issues_a_credit_note_and_frees_the_usages(issued):
    usage = Usage.objects.get()
    note = invoice_cancel(invoice=issued, reason="Wrong customer")
    assert (note.kind, note.status, note.number, note.cancels) == (
        InvoiceKind.CREDIT_NOTE,
        InvoiceStatus.ISSUED,
        "2027-00001",  # cancelled on "today", 15.03.2027
        issued,
    )
    assert (note.net, note.vat, note.rounding, note.total) == (
        Decimal("-58.33"),
        Decimal("-4.72"),
        Decimal("0.00"),
        Decimal("-63.05"),
    )
    assert [(line.billable_minutes, line.amount) for line in note.lines.all()] == [
        (-20, Decimal("-58.33"))
    ]
    assert (note.debtor_name, note.creditor_iban, note.reason) == (
        issued.debtor_name,
        issued.creditor_iban,
        "Wrong customer",
    )
    issued.refresh_from_db()
    usage.refresh_from_db()
    assert (issued.status, issued.reason, usage.invoiced_at) == (
        "cancelled",
        "Wrong customer",
        None,
    )
    # The usage can be invoiced again (or corrected first).
    again = make_invoice(issued.customer)
    assert lines(again) == [("C-1", "support", 20, 0, 20, Decimal("175.00"), Decimal("58.33"))]


def test_cancelled_support_plus_fee_can_be_invoiced_again(creditor):
    customer = rental_customer(variant="profi", rent=Decimal("900.00"))
    RentalPeriodFactory(  # the renewal: Support+ must lie in rental periods (R7)
        licence=customer.licences.get(), start=date(2027, 1, 1), end=date(2027, 12, 31)
    )
    subscribe_support_plus(
        customer, [ContactFactory(customer=customer)], start=date(2026, 3, 1), end=date(2027, 2, 28)
    )
    invoice = issued_invoice(customer, issued_on=ISSUE_DAY)
    assert invoice_drafts(**MARCH, customers=[customer]) == []
    invoice_cancel(invoice=invoice, reason="Address")
    assert make_invoice(customer).net == Decimal("565.00")


@pytest.mark.parametrize(
    ("target", "reason", "message"),
    [
        ("note", "again", "A credit note cannot be cancelled."),
        ("issued", "again", "already cancelled"),
        ("issued", "  ", "Give the reason"),
        ("issued", "x" * 201, "at most 200 characters"),
        ("draft", "x", "discard it instead"),
    ],
)
def test_bad_cancellations_are_refused(issued, target, reason, message):
    if reason == "again":
        note = invoice_cancel(invoice=issued, reason="Wrong rate")
    if target == "draft":
        customer = no_credit_customer()
        make_usage(customer, 10)
        invoice = make_invoice(customer)
    else:
        invoice = note if target == "note" else issued
    count = Invoice.objects.count()
    with pytest.raises(ValidationError, match=message):
        invoice_cancel(invoice=invoice, reason=reason)
    assert Invoice.objects.count() == count


def test_a_line_of_a_credit_note_is_immutable_too(issued):
    note = invoice_cancel(invoice=issued, reason="Wrong rate")
    line = note.lines.get()
    with pytest.raises(ValidationError):
        line.delete()
    assert InvoiceLine.objects.filter(invoice=note).count() == 1
