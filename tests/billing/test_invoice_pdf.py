"""The invoice PDF: A4 in Liberation Sans, Swiss formats, and the QR-bill on invoices."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfReader
from stdnum import iso11649
from stdnum.ch import esr

from billing.models import Invoice, InvoiceLine, InvoiceStatus
from billing.pdf import invoice_pdf, qr_bill
from billing.rules import creditor_reference, qr_reference
from billing.services import invoice_cancel, invoice_drafts, invoice_issue, record_usage
from tests.factories import IBAN, QR_IBAN, CustomerFactory, rental_customer

pytestmark = pytest.mark.django_db

MM = 72 / 25.4  # PDF points per millimetre

# Three cases and a Support+ fee: net 1'420.00, VAT 8.1 % 115.02, rounding -0.02.
CASES = [
    ("C-17", "support", "Salary run stops at March", "Claire Dupont", 45, 15, 30, "175.00"),
    ("C-17", "data_check", "Salary run stops at March", "Claire Dupont", 60, 0, 60, "175.00"),
    ("C-21", "training", "Year-end closing", "Marc Favre", 300, 0, 300, "160.00"),
    ("C-23", "forms", "Invoice layout with logo", "Claire Dupont", 90, 0, 90, "175.00"),
]
SUPPORT_PLUS_FEE = ("Support+ subscription", "95.00")


def issued_invoice(
    *,
    number="2026-00017",
    language="fr",
    iban=QR_IBAN,
    cases=CASES,
    fee=SUPPORT_PLUS_FEE,
    **fields,
) -> Invoice:
    """An issued invoice built row by row, as ``invoice_issue`` leaves it."""
    customer = CustomerFactory(name="Menuiserie Dupont SA", language=language)
    amounts = [Decimal(rate) * billable / 60 for *_, billable, rate in cases]
    if fee:
        amounts.append(Decimal(fee[1]))
    net = sum(amounts, Decimal("0.00")).quantize(Decimal("0.01"))
    vat = (net * Decimal("0.081")).quantize(Decimal("0.01"))
    total = ((net + vat) * 20).quantize(Decimal("1")) / 20
    invoice = Invoice.objects.create(
        customer=customer,
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 31),
        language=language,
        debtor_number="50123",
        debtor_name="Menuiserie Dupont SA",
        debtor_street="Rue du Lac",
        debtor_house_number="12",
        debtor_postcode="1003",
        debtor_city="Lausanne",
        debtor_country="CH",
        creditor_name="Q3 Software SA",
        creditor_street="Bahnhofplatz",
        creditor_house_number="1",
        creditor_postcode="3011",
        creditor_city="Bern",
        creditor_country="CH",
        creditor_vat_number="CHE-123.456.788 MWST",
        creditor_iban=iban,
        creditor_email="billing@q3software.example",
        creditor_phone="031 511 49 49",
        footer="Q3 Software SA · Bahnhofplatz 1 · 3011 Bern",
        vat_rate=Decimal("8.10"),
        net=net,
        vat=vat,
        rounding=total - net - vat,
        total=total,
        credit_used_minutes=15,
        credit_remaining_minutes=1230,
        **fields,
    )
    position = 0
    for position, (ref, activity, text, contact, charged, credit, billable, rate) in enumerate(
        cases, start=1
    ):
        InvoiceLine.objects.create(
            invoice=invoice,
            position=position,
            kind="work",
            work_ref=ref,
            activity=activity,
            text=text,
            contact_name=contact,
            first_day=date(2026, 3, 1 + position % 28),
            last_day=date(2026, 3, 2 + position % 28),
            charged_minutes=charged,
            credit_minutes=credit,
            billable_minutes=billable,
            rate=Decimal(rate),
            amount=(Decimal(rate) * billable / 60).quantize(Decimal("0.01")),
        )
    if fee:
        InvoiceLine.objects.create(
            invoice=invoice,
            position=position + 1,
            kind="support_plus",
            text=fee[0],
            first_day=date(2026, 3, 1),
            last_day=date(2027, 2, 28),
            rate=Decimal(fee[1]),
            amount=Decimal(fee[1]),
        )
    reference = qr_reference(number) if iban == QR_IBAN else creditor_reference(number)
    Invoice.objects.filter(pk=invoice.pk).update(
        status=InvoiceStatus.ISSUED,
        number=number,
        issued_on=date(2026, 4, 2),
        due_on=date(2026, 5, 2),
        reference=reference,
    )
    invoice.refresh_from_db()
    return invoice


def pdf_text(content: bytes) -> str:
    """The text of every page, white space (and lines wrapped in a cell) made single spaces."""
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def font_names(resources) -> set[str]:
    """The BaseFont of every font a page uses, also inside its form XObjects (the QR-bill)."""
    names = set()
    for font in (resources.get("/Font") or {}).values():
        names.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    for xobject in (resources.get("/XObject") or {}).values():
        xobject = xobject.get_object()
        if "/Resources" in xobject:
            names |= font_names(xobject["/Resources"].get_object())
    return names


def text_positions(page, wanted: str) -> list[tuple[float, float]]:
    """Where (mm from the left edge, mm above the bottom edge) ``wanted`` starts on ``page``."""
    found = []

    def visit(text, cm, tm, font_dict, font_size):
        if wanted in text:
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append((pytest.approx(x / MM, abs=1), pytest.approx(y / MM, abs=1)))

    page.extract_text(visitor_text=visit)
    return found


# --- the document ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "payment_part"),
    [("en", "Payment part"), ("fr", "Section paiement"), ("de", "Zahlteil")],
)
def test_pdf_shows_parties_lines_and_totals_in_swiss_formats(language, payment_part):
    invoice = issued_invoice(language=language)
    text = pdf_text(invoice_pdf(invoice=invoice))

    assert "2026-00017" in text
    assert "Menuiserie Dupont SA" in text and "Rue du Lac 12" in text and "1003 Lausanne" in text
    assert "50123" in text  # customer number
    for case_text in ("Salary run stops at March", "Year-end closing", "Invoice layout with logo"):
        assert case_text in text
    assert "Claire Dupont" in text and "Marc Favre" in text
    assert "Support+ subscription 01.03.2026–28.02.2027" in text  # the fee and its year
    suffix = {"en": "VAT", "fr": "TVA", "de": "MWST"}[language]  # the UID's VAT suffix
    assert f"CHE-123.456.788 {suffix}" in text and "billing@q3software.example" in text
    assert "02.04.2026" in text and "02.05.2026" in text  # issued, due
    assert "01.03.2026 – 31.03.2026" in text  # period
    # net, VAT, rounding and total with the apostrophe, amounts and rate of a line
    for figure in ("1'420.00", "115.02", "-0.02", "1'535.00", "262.50", "175.00"):
        assert figure in text, figure
    assert "8.1 %" in text and "8.10" not in text
    assert ("1'230 Min." if language == "de" else "1'230 min") in text  # support credit left
    assert payment_part in text  # the QR-bill speaks the invoice's language
    words = {
        "en": ("Invoice 2026-00017", "Data check", "VAT 8.1 %", "Due date"),
        "fr": ("Facture 2026-00017", "Contrôle des données", "TVA 8.1 %", "Échéance"),
        "de": ("Rechnung 2026-00017", "Datenkontrolle", "MWST 8.1 %", "Fälligkeit"),
    }
    for word in words[language]:
        assert word in text, word


def test_rounding_line_only_when_there_is_something_to_round():
    invoice = issued_invoice(language="en", cases=CASES[:1], fee=None)  # 87.50 + 7.09 = 94.59
    text = pdf_text(invoice_pdf(invoice=invoice))
    assert "Rounding" in text and "0.01" in text and "94.60" in text
    exact = issued_invoice(number="2026-00018", language="en", cases=CASES[2:3], fee=None)
    assert exact.rounding == 0  # 800.00 + 64.80
    text = pdf_text(invoice_pdf(invoice=exact))
    assert "864.80" in text and "Rounding" not in text


def test_pdf_is_a4_in_liberation_sans_only_with_the_bill_at_the_bottom():
    content = invoice_pdf(invoice=issued_invoice(language="en"))
    reader = PdfReader(io.BytesIO(content))
    fonts = set()
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - 595.28) < 1 and abs(height - 841.89) < 1
        fonts |= font_names(page["/Resources"].get_object())
    assert fonts == {"Liberation-Sans", "Liberation-Sans-Bold"}
    # The bill at true size in the bottom left corner of the last page (qrbill draws it
    # 106 mm high: the payment part's title 11 mm, "Currency" 73 mm below its top edge).
    last = reader.pages[-1]
    assert text_positions(last, "Payment part") == [(67, 95)]
    assert text_positions(last, "Currency") == [(5, 33), (67, 33)]


def test_long_invoice_keeps_the_bill_alone_at_the_bottom_of_its_last_page():
    cases = [
        (f"C-{n}", "support", f"Question {n}", "Claire Dupont", 15, 0, 15, "175.00")
        for n in range(40)
    ]
    reader = PdfReader(io.BytesIO(invoice_pdf(invoice=issued_invoice(language="en", cases=cases))))
    assert len(reader.pages) >= 2
    assert ["Payment part" in page.extract_text() for page in reader.pages] == [False] * (
        len(reader.pages) - 1
    ) + [True]
    last = reader.pages[-1]
    assert text_positions(last, "Payment part") == [(67, 95)]
    # the lines end above the bill, whose top edge is 105 mm above the bottom edge
    assert all(y > 106 for _, y in text_positions(last, "Question"))


def test_credit_note_renders_without_payment_part():
    invoice = issued_invoice(language="en")
    credit_note = invoice_cancel(invoice=invoice, reason="Billed twice")
    text = pdf_text(invoice_pdf(invoice=credit_note))
    assert f"Credit note {credit_note.number}" in text
    assert "cancels invoice 2026-00017" in text and "Billed twice" in text
    assert "-1'535.00" in text and "-262.50" in text
    assert "Payment part" not in text and "Receipt" not in text
    with pytest.raises(ValidationError, match="nothing to pay"):
        qr_bill(credit_note)


def test_draft_has_no_pdf():
    invoice = issued_invoice()
    # Turned back into a draft in memory only: no service does it, and the database
    # refuses to change an issued invoice.
    invoice.status, invoice.number = InvoiceStatus.DRAFT, None
    with pytest.raises(ValidationError, match="draft"):
        invoice_pdf(invoice=invoice)
    with pytest.raises(ValidationError, match="issued invoice"):
        qr_bill(invoice)


def test_pdf_of_an_invoice_issued_by_the_services(creditor):
    customer = rental_customer(rent=Decimal("50.00"), language="de", name="Schreinerei Müller AG")
    record_usage(
        customer=customer,
        activity="data_check",
        minutes=20,
        performed_on=date(2026, 3, 2),
        work_ref="C-5",
        label="Lohnlauf März",
    )
    (draft,) = invoice_drafts(
        period_start=date(2026, 3, 1), period_end=date(2026, 3, 31), customers=[customer]
    )
    invoice = invoice_issue(invoice=draft, issued_on=date(2026, 4, 2))
    text = pdf_text(invoice_pdf(invoice=invoice))
    assert invoice.number in text and "Schreinerei Müller AG" in text and "Zahlteil" in text
    assert "Lohnlauf März" in text
    assert f"{invoice.total:.2f}" in text
    assert qr_bill(invoice).qr_data().split("\r\n")[18] == f"{invoice.total:.2f}"


# --- the QR-bill -----------------------------------------------------------------------------


def test_qr_payload_with_a_qr_iban_carries_a_qr_reference():
    invoice = issued_invoice(language="de")
    data = qr_bill(invoice).qr_data().split("\r\n")

    assert data[:4] == ["SPC", "0200", "1", "CH4431999123000889012"]
    assert data[4:11] == ["S", "Q3 Software SA", "Bahnhofplatz", "1", "3011", "Bern", "CH"]
    assert data[11:18] == [""] * 7  # no ultimate creditor
    assert data[18:20] == ["1535.00", "CHF"]
    assert data[20:27] == [
        "S",
        "Menuiserie Dupont SA",
        "Rue du Lac",
        "12",
        "1003",
        "Lausanne",
        "CH",
    ]
    assert data[27] == "QRR"
    assert data[28] == qr_reference("2026-00017") and len(data[28]) == 27
    assert esr.is_valid(data[28])
    assert "2026-00017" in data[29]
    assert data[30] == "EPD"


def test_qr_payload_with_an_ordinary_iban_carries_a_creditor_reference():
    invoice = issued_invoice(iban=IBAN, language="en")
    data = qr_bill(invoice).qr_data().split("\r\n")

    assert data[3] == "CH9300762011623852957"
    assert data[27] == "SCOR"
    assert iso11649.is_valid(data[28]) and data[28].endswith("202600017")
    assert data[29] == "Invoice 2026-00017"
    assert "RF" in pdf_text(invoice_pdf(invoice=invoice))


def test_debtor_box_left_blank_when_the_address_is_incomplete():
    invoice = issued_invoice(language="en")
    # Issuing refuses such an address, and the database refuses to change the snapshot of
    # an issued invoice: emptied in memory only.
    invoice.debtor_postcode = invoice.debtor_city = ""
    bill = qr_bill(invoice)
    assert bill.qr_data().split("\r\n")[20:27] == [""] * 7
    svg = io.StringIO()
    bill.as_svg(svg)
    assert "Payable by (name/address)" in svg.getvalue()


def test_rendering_reads_only_the_vendored_fonts():
    from billing.pdf import _font_css_path, _local_fetcher

    fonts = _font_css_path().parent.resolve()
    fetcher = _local_fetcher(fonts)
    response = fetcher.fetch((fonts / "LiberationSans-Regular.ttf").as_uri())
    try:
        assert response.read(4) == b"\x00\x01\x00\x00"  # a TrueType font
    finally:
        response.close()
    for url in ("https://example.com/font.ttf", "http://127.0.0.1/x.css", "file:///etc/passwd"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
