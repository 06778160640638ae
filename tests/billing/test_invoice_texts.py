"""Invoices that explain themselves (item 8): the additional Support+ person named on its
line, the UID's VAT suffix in the document's language, "Annulée" / "Storniert", Swiss
amounts (1'234.50) on every page and in the PDF, and German terms a bookkeeper cannot mix
up ("Aufwand" and "Kostenpflichtig", not "Verrechnet" next to "Verrechenbar")."""

import html
import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from billing.models import Invoice, InvoiceLine, Tariff
from billing.pdf import invoice_pdf, vat_number
from billing.services import invoice_cancel, invoice_drafts
from cases.services import case_create
from customers.services import half_fare_subscribe
from q3helpdesk.roles import Role
from tests.factories import (
    ContactFactory,
    issued_invoice,
    make_usage,
    no_credit_customer,
    rental_customer,
)
from tests.factories import support_plus as subscribe_support_plus

SINCE = {"period_from": "2026-01-01"}  # the list shows last month on by default

pytestmark = pytest.mark.django_db

YEAR_2026 = {"period_start": date(2026, 1, 1), "period_end": date(2026, 1, 31)}


def page_of(response) -> str:
    """The page as a reader sees it (the apostrophe of 1'234.50 is escaped in the HTML)."""
    return html.unescape(response.content.decode())


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def support_plus_invoice(language: str, creditor):
    """An issued invoice of a Support+ subscription with one additional person (Regula Aebi)."""
    customer = rental_customer(variant="profi", rent=Decimal("900.00"), language=language)
    half_fare_subscribe(customer=customer, start=date(2026, 1, 1), end=date(2026, 12, 31))
    persons = [
        ContactFactory(customer=customer, name="Hans Muster"),
        ContactFactory(customer=customer, name="Regula Aebi"),
    ]
    subscribe_support_plus(customer, persons, start=date(2026, 1, 1), end=date(2026, 12, 31))
    return issued_invoice(customer, issued_on=date(2026, 2, 2), **YEAR_2026)


def big_invoice(creditor, *, language="fr", minutes=(400, 400)):
    """An issued invoice over CHF 1'000: programming at 195.00/h, no credit."""
    customer = no_credit_customer(language=language)
    for n, m in enumerate(minutes, start=1):
        make_usage(
            customer,
            m,
            activity="programming",
            on=date(2026, 1, 5 + n),
            ref=f"C-{n}",
            label=f"Export {n}",
        )
    return issued_invoice(customer, issued_on=date(2026, 2, 2), **YEAR_2026)


# --- the additional Support+ person -----------------------------------------------------


@pytest.mark.parametrize(
    ("language", "main", "extra"),
    [
        (
            "fr",
            "Abonnement Support+ : Hans Muster, 01.01.–31.12.2026",
            "Support+ personne supplémentaire : Regula Aebi, 01.01.–31.12.2026",
        ),
        (
            "de",
            "Support+-Abo: Hans Muster, 01.01.–31.12.2026",
            "Support+ zusätzliche Person: Regula Aebi, 01.01.–31.12.2026",
        ),
        (
            "en",
            "Support+ subscription: Hans Muster, 01.01.–31.12.2026",
            "Support+ additional person: Regula Aebi, 01.01.–31.12.2026",
        ),
    ],
)
def test_pdf_line_of_an_additional_person_says_so_and_names_the_person(
    creditor, language, main, extra
):
    invoice = support_plus_invoice(language, creditor)
    text = pdf_text(invoice_pdf(invoice=invoice))
    assert main in text
    assert extra in text
    assert "1 × 115.00" in text


def test_several_additional_persons_are_all_named(creditor):
    customer = rental_customer(variant="premium", rent=Decimal("900.00"), language="fr")
    half_fare_subscribe(customer=customer, start=date(2026, 1, 1), end=date(2026, 12, 31))
    persons = [ContactFactory(customer=customer, name=n) for n in ("A. Un", "B. Deux", "C. Trois")]
    subscribe_support_plus(customer, persons, start=date(2026, 1, 1), end=date(2026, 12, 31))
    (draft,) = invoice_drafts(**YEAR_2026, customers=[customer])
    line = draft.lines.get(kind="support_plus_person")
    assert line.text == "Support+ personnes supplémentaires : B. Deux, C. Trois, 01.01.–31.12.2026"
    assert (line.quantity, line.amount) == (2, Decimal("230.00"))


def test_half_fare_line_says_what_it_is(creditor):
    Tariff.objects.update(half_fare_price=Decimal("240.00"))
    customer = rental_customer(rent=Decimal("50.00"), language="de")
    half_fare_subscribe(customer=customer, start=date(2026, 1, 1), end=date(2026, 12, 31))
    (draft,) = invoice_drafts(**YEAR_2026, customers=[customer])
    assert InvoiceLine.objects.get(invoice=draft).text == "Halbtax-Abo, 01.01.–31.12.2026"


# --- the UID's VAT suffix ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected", "wrong"),
    [
        ("fr", "CHE-123.456.788 TVA", "MWST"),
        ("de", "CHE-123.456.788 MWST", "TVA"),
        ("en", "CHE-123.456.788 VAT", "MWST"),
    ],
)
def test_uid_suffix_follows_the_document_language(creditor, language, expected, wrong):
    invoice = big_invoice(creditor, language=language)
    assert invoice.creditor_vat_number == "CHE-123.456.788 MWST"  # the snapshot as entered
    text = pdf_text(invoice_pdf(invoice=invoice))
    assert expected in text
    assert f"CHE-123.456.788 {wrong}" not in text


@pytest.mark.parametrize(
    ("snapshot", "language", "shown"),
    [
        ("CHE-123.456.788 MWST", "fr", "CHE-123.456.788 TVA"),
        ("CHE-123.456.788 TVA", "de", "CHE-123.456.788 MWST"),
        ("CHE-123.456.788", "fr", "CHE-123.456.788 TVA"),  # entered without a suffix
        ("CHE-123.456.788 IVA", "en", "CHE-123.456.788 VAT"),
        ("", "fr", ""),  # no UID: nothing, not a lone "TVA"
    ],
)
def test_vat_number_replaces_only_the_suffix(snapshot, language, shown):
    invoice = Invoice(creditor_vat_number=snapshot, language=language)
    assert vat_number(invoice) == shown


# --- cancelled -------------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "word"), [("fr", "Annulée"), ("de", "Storniert")])
def test_a_cancelled_invoice_reads_annulee_storniert(
    client, user_with_role, settings, creditor, language, word
):
    invoice = big_invoice(creditor)
    invoice_cancel(invoice=invoice, reason="Mauvaise adresse")
    client.force_login(user_with_role(Role.BILLING))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    detail = page_of(client.get(f"/billing/invoices/{invoice.pk}/"))
    assert f'data-testid="invoice-status">{word}</span>' in detail
    listing = page_of(client.get("/billing/invoices/", SINCE))
    assert f"<td >{word}</td>" in listing  # the row
    assert f">{word}</option>" in listing  # the status filter's choice
    assert "Annulé<" not in listing and "Abgebrochen" not in listing


# --- Swiss amounts -----------------------------------------------------------------------------


def test_invoice_list_and_detail_write_amounts_the_swiss_way(
    client, user_with_role, settings, creditor
):
    invoice = big_invoice(creditor)  # 800 min at 195.00 = 2'600.00 net
    assert invoice.net == Decimal("2600.00")
    client.force_login(user_with_role(Role.BILLING))
    listing = page_of(client.get("/billing/invoices/", SINCE))
    assert "2'600.00" in listing and "2'810.60" in listing  # row and totals: net, total
    assert "2600.00" not in listing and "2810.60" not in listing
    detail = page_of(client.get(f"/billing/invoices/{invoice.pk}/"))
    assert "1'300.00" in detail and "2'810.60" in detail
    csv = page_of(client.get("/billing/invoices/", {**SINCE, "_export": "csv"}))
    assert "2600.00" in csv  # spreadsheets get the plain number


def test_ledger_writes_amounts_the_swiss_way(client, user_with_role, creditor):
    big_invoice(creditor)
    client.force_login(user_with_role(Role.MANAGER))
    ledger = page_of(client.get("/billing/ledger/", {"performed_from": "2026-01-01"}))
    assert "1'300.00" in ledger  # a row
    assert "CHF 2'600.00" in ledger  # the total
    assert "1300.00" not in ledger


def test_quote_writes_the_amount_the_swiss_way(client, user_with_role):
    customer = rental_customer(
        rent=Decimal("50.00"), start=date(2027, 1, 1), end=date(2027, 12, 31)
    )
    case = case_create(customer=customer, channel="phone", subject="Export")
    client.force_login(user_with_role(Role.SUPPORT))
    response = client.get(
        f"/cases/{case.pk}/entries/quote/",
        {"activity": "programming", "minutes": "400", "performed_on": "2027-03-15"},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "400 min: 0 from credit, 400 billable, CHF 1'300.00" in page_of(response)


@pytest.mark.parametrize("language", ["fr", "de", "en"])
def test_pdf_writes_amounts_the_swiss_way(creditor, language):
    text = pdf_text(invoice_pdf(invoice=big_invoice(creditor, language=language)))
    for amount in ("1'300.00", "2'600.00", "210.60", "2'810.60"):
        assert amount in text, amount
    assert "2600.00" not in text and "2,600.00" not in text and "2 600,00" not in text


# --- German terms --------------------------------------------------------------------------------


def test_german_pdf_and_pages_do_not_mix_up_charged_and_billable(
    client, user_with_role, settings, creditor
):
    invoice = big_invoice(creditor, language="de")
    text = pdf_text(invoice_pdf(invoice=invoice))
    assert "Aufwand" in text and "Kostenpflichtig" in text and "Aus Guthaben" in text
    assert "Verrechnet" not in text and "Verrechenbar" not in text
    client.force_login(user_with_role(Role.MANAGER))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    for path in (f"/billing/invoices/{invoice.pk}/", "/billing/ledger/"):
        page = page_of(client.get(path))
        assert "Aufwand" in page and "ostenpflichtig" in page, path
        # "verrechnet" (invoiced) stays where it means that, e.g. "noch nicht verrechnet".
        assert "Verrechnet<" not in page and "errechenbar" not in page, path
