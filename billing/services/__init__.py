"""Writes of the billing app: credit grants and the usage ledger (DESIGN §1 R1–R9, R12).

The desk reports work through :func:`record_usage`; a correction is
:func:`usage_reverse`. Grants are derived from the customer model by the ``grant_sync_*``
services, which the customers services call (through ``billing.credit_ledger``) whenever
they change a rental period, a licence or a Support+ subscription.

One module per concept; import the services from here:

- ``grants``: credit grants derived from rental periods, licences and Support+ (R3, R7)
- ``ledger``: posting work and reversing it
- ``numbering``: gap-free invoice numbers
- ``drafts``: invoice drafts and the background runs that build them
- ``invoices``: issuing a draft, cancelling an invoice with a credit note
- ``pdfs``: the PDF of an issued invoice, rendered once and stored
"""

from .drafts import invoice_discard, invoice_drafts, invoice_line_remove, invoice_run_start
from .grants import (
    check_credit_change,
    grant_sync_for_licence,
    grant_sync_for_period,
    grant_sync_for_support_plus,
    grants_sync_all,
)
from .invoices import invoice_cancel, invoice_issue
from .ledger import record_usage, usage_reverse
from .numbering import invoice_number_next
from .pdfs import invoice_pdf, invoice_pdf_stored

__all__ = [
    "check_credit_change",
    "grant_sync_for_licence",
    "grant_sync_for_period",
    "grant_sync_for_support_plus",
    "grants_sync_all",
    "invoice_cancel",
    "invoice_discard",
    "invoice_drafts",
    "invoice_issue",
    "invoice_line_remove",
    "invoice_number_next",
    "invoice_pdf",
    "invoice_pdf_stored",
    "invoice_run_start",
    "record_usage",
    "usage_reverse",
]
