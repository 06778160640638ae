"""Input that can never hurt later (issue 15): billing's texts refuse control characters at
the door, and an invoice whose QR-bill cannot be made fails loudly instead of being printed
without its payment part."""

import io
import logging
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfReader

from billing.models import Invoice, Usage
from billing.pdf import invoice_pdf
from billing.services import invoice_cancel, invoice_drafts, invoice_issue, record_usage
from customers.models import Customer
from tests.billing.test_invoice_pdf import issued_invoice, pdf_text
from tests.factories import rental_customer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("field", ["debtor_name", "debtor_city", "debtor_street"])
def test_invoice_whose_qr_bill_cannot_be_made_fails_instead_of_printing_without_it(field):
    # Rows written before the input checks (or by hand in the database) may hold a NUL.
    invoice = issued_invoice(language="en")
    setattr(invoice, field, getattr(invoice, field) + "\x00")
    with pytest.raises(ValidationError, match="QR-bill of invoice 2026-00017 cannot be made"):
        invoice_pdf(invoice=invoice)


def test_a_clean_invoice_still_has_its_payment_part():
    content = invoice_pdf(invoice=issued_invoice(language="en"))
    assert "Payment part" in pdf_text(content)
    assert len(PdfReader(io.BytesIO(content)).pages) >= 1


def test_an_image_weasyprint_cannot_load_fails_the_pdf(monkeypatch):
    """Whatever WeasyPrint cannot load (it logs an error and goes on) fails the document."""
    import billing.pdf

    monkeypatch.setattr(
        billing.pdf, "_qr_svg_data_uri", lambda invoice: "data:image/svg+xml;base64,PHN2Zz4="
    )
    with pytest.raises(ValidationError, match="PDF of invoice 2026-00017 cannot be made"):
        invoice_pdf(invoice=issued_invoice(language="en"))
    # The handler is removed again: later renderings are not affected.
    assert not any(
        type(h).__name__ == "_Failures" for h in logging.getLogger("weasyprint").handlers
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"label": "Lohnlauf\x00"}, "The label must be one line"),
        ({"label": "Lohnlauf\nMärz"}, "The label must be one line"),
        ({"work_ref": "C-1\x1b[2J"}, "The case reference must be one line"),
        ({"minutes": True}, "The minutes must be a whole number"),
        ({"minutes": 5.0}, "The minutes must be a whole number"),
        ({"minutes": "5"}, "The minutes must be a whole number"),
        ({"performed_on": "2026-03-02"}, "must be a date"),
        ({"repost": "yes"}, "yes or no"),
    ],
)
def test_record_usage_refuses_control_characters_and_wrong_types(kwargs, message):
    customer = rental_customer()
    arguments = {
        "customer": customer,
        "activity": "support",
        "minutes": 5,
        "performed_on": date(2026, 3, 2),
        "work_ref": "C-1",
        **kwargs,
    }
    with pytest.raises(ValidationError, match=message):
        record_usage(**arguments)
    assert not Usage.objects.exists()


def test_cancellation_reason_with_a_line_break_is_refused():
    invoice = issued_invoice(language="en")
    with pytest.raises(ValidationError, match="The reason must be one line"):
        invoice_cancel(invoice=invoice, reason="Doppelt\r\nBcc: everyone@example.com")
    assert Invoice.objects.count() == 1


def test_issue_refuses_a_customer_whose_stored_address_holds_a_control_character(creditor):
    """Data stored before the input checks (or written in the database by hand) is caught
    when the invoice copies it for good, not when its PDF cannot be made later."""
    customer = rental_customer(rent=Decimal("50.00"), name="Schreinerei Müller AG")
    # An escape character (PostgreSQL cannot store a NUL at all; an ESC breaks the QR-bill).
    Customer.objects.filter(pk=customer.pk).update(city="Lau\x1bsanne")
    record_usage(
        customer=customer,
        activity="data_check",
        minutes=20,
        performed_on=date(2026, 3, 2),
        work_ref="C-5",
    )
    (draft,) = invoice_drafts(
        period_start=date(2026, 3, 1), period_end=date(2026, 3, 31), customers=[customer]
    )
    with pytest.raises(ValidationError, match=f"customer {customer.number} must be corrected"):
        invoice_issue(invoice=draft, issued_on=date(2026, 4, 2))
    draft.refresh_from_db()
    assert draft.status == "draft" and not draft.number
