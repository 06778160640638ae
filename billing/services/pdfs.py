"""The PDF of an issued invoice or credit note: rendered once, then stored for good."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from q3helpdesk.guards import service

from ..models import Invoice, InvoiceStatus
from ._common import _require_invoice

logger = logging.getLogger(__name__)


@service
def invoice_pdf(*, invoice: Invoice) -> bytes:
    """The PDF of an issued invoice or credit note (A4, with the QR-bill on invoices)."""
    from ..pdf import invoice_pdf as render

    return render(invoice=invoice)


@service
def invoice_pdf_stored(*, invoice: Invoice) -> Invoice:
    """The invoice with its stored PDF: rendered and stored once, then kept for good.

    The worker calls it after the issue; a download calls it too, so a PDF the worker has
    not rendered yet, or whose file was lost (a restore without the media folder), is
    rendered from the snapshot, which gives the same document.
    """
    _require_invoice(invoice)
    invoice = Invoice.objects.get(pk=invoice.pk)
    if invoice.status == InvoiceStatus.DRAFT:
        raise ValidationError(_("A draft has no PDF yet: issue the invoice first."))
    field = invoice.pdf
    if field and field.storage.exists(field.name):
        return invoice
    name = field.storage.save(
        field.field.generate_filename(invoice, f"{invoice.number}.pdf"),
        ContentFile(invoice_pdf(invoice=invoice)),
    )
    with transaction.atomic():
        stored = Invoice.objects.filter(pk=invoice.pk, pdf=invoice.pdf.name).transition(pdf=name)
    if not stored:  # stored meanwhile by another request or the worker: keep theirs
        field.storage.delete(name)
        logger.info(
            "PDF of invoice %s (id %s) stored meanwhile by another run; this copy discarded",
            invoice.number,
            invoice.pk,
        )
    else:
        logger.info("PDF of invoice %s (id %s) stored as %s", invoice.number, invoice.pk, name)
    invoice.refresh_from_db()
    return invoice
