"""Invoice numbers: gap-free and unique per year."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from q3helpdesk.guards import service

from ..models import InvoiceNumberSequence


def invoice_number(year: int, n: int) -> str:
    """The ``n``-th invoice number of ``year``: ``2026-00017``."""
    return f"{year}-{n:05d}"


@service
def invoice_number_next(*, year: int) -> str:
    """The next invoice number of ``year`` (``2026-00017``), gap-free and unique.

    Must run inside the transaction that issues the invoice: the year's row stays locked
    until it commits, so two desks issuing at once get consecutive numbers, and a rolled
    back issue gives its number back.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("invoice_number_next() must run inside the issuing transaction")
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 9999:
        raise ValidationError(_("The invoice year must be a year such as 2026."))
    # Create the year's row if needed without racing another desk, then lock it.
    InvoiceNumberSequence.objects.bulk_create(
        [InvoiceNumberSequence(year=year, last=0)], ignore_conflicts=True
    )
    sequence = InvoiceNumberSequence.objects.select_for_update().get(year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return invoice_number(year, sequence.last)
