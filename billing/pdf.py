"""The PDF of an issued invoice or credit note: A4, Liberation Sans, Swiss QR-bill on invoices.

Rendering reads only the invoice snapshot (never the customer, the case or the company as
they are now), so the same invoice always renders the same document. WeasyPrint fetches
nothing but the vendored fonts and the inline QR-bill: no network, ever.
"""

from __future__ import annotations

import base64
import io
import logging
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import qrbill
import qrcode
import qrcode.constants
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from .models import Invoice, InvoiceStatus
from .selectors import activity_names, invoice_line_groups

FONT_CSS = "vendor/fonts/liberation-sans/liberation-sans.css"
QR_NAME_MAX = 70  # the QR-bill standard's limit for a name; the snapshot allows 140
# The suffix of a UID used as VAT number, in the document's language (UID register:
# "CHE-123.456.789 MWST / TVA / IVA"; English documents write VAT).
VAT_SUFFIXES = {"de": "MWST", "fr": "TVA", "it": "IVA", "en": "VAT"}

logger = logging.getLogger(__name__)


def qr_rectangles(matrix: list[list[bool]]) -> list[tuple[int, int, int, int]]:
    """The dark modules of a QR code as rectangles (column, row, width, height): each row's
    runs of dark modules, a run joined with the same run in the rows below it. Their union
    is exactly the dark modules, in far fewer shapes than one square per module."""
    rectangles: list[tuple[int, int, int, int]] = []
    open_runs: dict[tuple[int, int], int] = {}  # (column, width) → index in rectangles
    for row, cells in enumerate(matrix):
        runs, column = [], 0
        while column < len(cells):
            if cells[column]:
                start = column
                while column < len(cells) and cells[column]:
                    column += 1
                runs.append((start, column - start))
            column += 1
        still_open = {}
        for run in runs:
            index = open_runs.get(run)
            if index is None:
                rectangles.append((run[0], row, run[1], 1))
                index = len(rectangles) - 1
            else:
                column, top, width, height = rectangles[index]
                rectangles[index] = (column, top, width, height + 1)
            still_open[run] = index
        open_runs = still_open
    return rectangles


class _QRCodePath:
    """What ``qrbill`` reads of the QR code image it draws: its width in modules and, from
    ``save``, an SVG ``<path>`` (one unit per module). Drawn from rectangles instead of
    qrcode's one square per module: WeasyPrint lays out the bill's SVG path by path
    command, and the QR code's thousands of squares were a third of an invoice's PDF."""

    def __init__(self, matrix: list[list[bool]]):
        self.width = len(matrix)
        self.d = "".join(f"M{x},{y}h{w}v{h}h-{w}z" for x, y, w, h in qr_rectangles(matrix))

    def save(self, stream) -> None:
        stream.write(f'<svg><path d="{self.d}"/></svg>'.encode())


class _QRBill(qrbill.QRBill):
    # A font the standard allows, and the one the PDF embeds anyway (vendored).
    font_family = "Liberation Sans"

    def qr_image(self) -> _QRCodePath:
        # The code qrbill makes (error correction M, no border), drawn as fewer shapes.
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
        code.add_data(self.qr_data())
        code.make(fit=True)
        return _QRCodePath(code.get_matrix())


def _address(*, name, street, house_number, postcode, city, country) -> dict:
    return {
        "name": name[:QR_NAME_MAX],
        "street": street,
        "house_num": house_number,
        "pcode": postcode,
        "city": city,
        "country": country or "CH",
    }


def qr_bill(invoice: Invoice) -> qrbill.QRBill:
    """The QR-bill (payment part and receipt) of an issued invoice, in its language."""
    if invoice.is_credit_note:
        raise ValidationError(_("A credit note has no payment part: there is nothing to pay."))
    if invoice.is_draft or not invoice.number:
        raise ValidationError(_("Only an issued invoice has a payment part."))
    creditor = _address(
        name=invoice.creditor_name,
        street=invoice.creditor_street,
        house_number=invoice.creditor_house_number,
        postcode=invoice.creditor_postcode,
        city=invoice.creditor_city,
        country=invoice.creditor_country,
    )
    debtor = None
    # The standard allows a blank debtor box, which the payer fills in by hand.
    if invoice.debtor_name and invoice.debtor_postcode and invoice.debtor_city:
        debtor = _address(
            name=invoice.debtor_name,
            street=invoice.debtor_street,
            house_number=invoice.debtor_house_number,
            postcode=invoice.debtor_postcode,
            city=invoice.debtor_city,
            country=invoice.debtor_country,
        )
    with translation.override(invoice.language):
        information = _("Invoice %(number)s") % {"number": invoice.number}
    try:
        return _QRBill(
            account=invoice.creditor_iban,
            creditor=creditor,
            debtor=debtor,
            amount=f"{invoice.total:.2f}",
            currency="CHF",
            reference_number=invoice.reference or None,
            additional_information=information,
            language=invoice.language if invoice.language in {"de", "fr", "it"} else "en",
        )
    except ValueError as error:
        raise ValidationError(
            _("The QR-bill of invoice %(number)s cannot be made: %(error)s")
            % {"number": invoice.number, "error": error}
        ) from error


# --- the document ----------------------------------------------------------------------


def vat_number(invoice: Invoice) -> str:
    """The creditor's UID with the VAT suffix of the invoice's language: CHE-123.456.788 TVA.

    The snapshot keeps the number as the company wrote it (with its own suffix, if any);
    only the suffix follows the document.
    """
    number = invoice.creditor_vat_number.strip()
    if not number:
        return ""
    head, _sep, last = number.rpartition(" ")
    if head and last.upper() in set(VAT_SUFFIXES.values()):
        number = head
    return f"{number} {VAT_SUFFIXES.get(invoice.language, VAT_SUFFIXES['en'])}"


def _qr_svg_data_uri(invoice: Invoice) -> str:
    buffer = io.StringIO()
    qr_bill(invoice).as_svg(buffer)
    svg = buffer.getvalue()
    # A character XML cannot hold (a NUL byte or another control character copied from the
    # snapshot) makes an SVG that WeasyPrint would silently leave out: an invoice without
    # its payment part. Refuse it here, with the reason, rather than print such an invoice.
    bad = next((c for c in svg if c in _XML_FORBIDDEN), None)
    if bad is not None:
        raise ValidationError(
            _(
                "The QR-bill of invoice %(number)s cannot be made: its addresses contain a"
                " control character (U+%(code)04X); correct the data and render it again."
            )
            % {"number": invoice.number, "code": ord(bad)}
        )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


# Characters XML 1.0 does not allow (tab, line feed and carriage return aside).
_XML_FORBIDDEN = frozenset(chr(c) for c in [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])


class _Failures(logging.Handler):
    """Collects what WeasyPrint reports as an error (it logs a missing image and goes on)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage()[:200])


@contextmanager
def _loud(invoice: Invoice):
    """Raise when WeasyPrint could not load something the document needs (the QR-bill, a
    font): an invoice is never printed without a part of it."""
    failures = _Failures()
    weasyprint_log = logging.getLogger("weasyprint")
    weasyprint_log.addHandler(failures)
    try:
        yield
    finally:
        weasyprint_log.removeHandler(failures)
    if failures.messages:
        raise ValidationError(
            _("The PDF of invoice %(number)s cannot be made: %(error)s")
            % {"number": invoice.number, "error": failures.messages[0]}
        )


def _font_css_path() -> Path:
    found = finders.find(FONT_CSS)
    if not found:
        raise ImproperlyConfigured(f"The invoice font stylesheet {FONT_CSS} is missing.")
    return Path(found)


def _local_fetcher(root: Path):
    """A URL fetcher for the fonts below ``root`` and data: URIs; nothing else, no network."""
    from weasyprint.urls import URLFetcher

    class LocalFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("file:"):
                path = Path(url2pathname(urlsplit(url).path)).resolve()
                if not path.is_relative_to(root):
                    raise ValueError(f"invoice PDFs read no file outside {root}: {url}")
            return super().fetch(url, headers)

    return LocalFetcher(allowed_protocols=("file", "data"), fail_on_errors=True)


def invoice_pdf(*, invoice: Invoice) -> bytes:
    """The A4 PDF of an issued invoice or credit note; an invoice ends with its QR-bill."""
    if invoice.status == InvoiceStatus.DRAFT or not invoice.number:
        raise ValidationError(_("A draft has no PDF yet: issue the invoice first."))
    try:
        content = _render(invoice)
    except ValidationError as exc:
        # A download turns the reason into a message for the user only: the log tells
        # the operator that an invoice cannot be printed, whoever asked for it.
        logger.warning(
            "PDF of invoice %s (id %s) not rendered: %s",
            invoice.number,
            invoice.pk,
            " ".join(exc.messages),
        )
        raise
    logger.debug("PDF of invoice %s (id %s) rendered", invoice.number, invoice.pk)
    return content


def _render(invoice: Invoice) -> bytes:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    with translation.override(invoice.language):
        context = {
            "invoice": invoice,
            "groups": invoice_line_groups(invoice),
            "vat_percent": invoice.vat_percent,
            "show_credit": not invoice.is_credit_note
            and bool(invoice.credit_used_minutes or invoice.credit_remaining_minutes),
            "qr_svg": None if invoice.is_credit_note else _qr_svg_data_uri(invoice),
            "cancels_number": invoice.cancels.number if invoice.cancels is not None else "",
            "vat_number": vat_number(invoice),
            "activity_names": activity_names(),
        }
        html = render_to_string("billing/invoice_pdf.html", context)
    font_css = _font_css_path()
    fetcher = _local_fetcher(font_css.parent.resolve())
    fonts = FontConfiguration()
    document = HTML(string=html, base_url=str(font_css.parent), url_fetcher=fetcher)
    stylesheet = CSS(filename=str(font_css), font_config=fonts, url_fetcher=fetcher)
    with _loud(invoice):
        content = document.write_pdf(stylesheets=[stylesheet], font_config=fonts)
    return content
