"""The billing app's models (DESIGN §2), one module per concept; import them from here.

- ``tariffs``: tariffs, their credit table and their activities (R3, R4)
- ``ledger``: credit grants and the append-only usage ledger (R3, R7, R8)
- ``company``: Q3 Software as the creditor of its invoices
- ``invoices``: invoice numbers, invoices and credit notes with their lines, invoice runs
- ``rollups``: the ledger summed per day, for the dashboard
"""

from .company import (
    Company,
    validate_swiss_iban,
    validate_uid,
)
from .invoices import (
    CLAIMING_STATUSES,
    FROZEN_INVOICE_TRANSITIONS,
    FrozenLinesQuerySet,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceLineKind,
    InvoiceLineUsage,
    InvoiceNumberSequence,
    InvoiceQuerySet,
    InvoiceRun,
    InvoiceRunStatus,
    InvoiceStatus,
    LineUsagesQuerySet,
    invoice_pdf_path,
)
from .ledger import (
    CreditGrant,
    GrantSource,
    LedgerQuerySet,
    Usage,
    UsageDraw,
    UsageQuerySet,
)
from .rollups import DailyCredit, DailyUsage
from .tariffs import (
    VERIFIED_ERROR,
    ActivityRate,
    CreditAllowance,
    Tariff,
    name_in_language,
)

__all__ = [
    "CLAIMING_STATUSES",
    "FROZEN_INVOICE_TRANSITIONS",
    "VERIFIED_ERROR",
    "ActivityRate",
    "Company",
    "CreditAllowance",
    "CreditGrant",
    "DailyCredit",
    "DailyUsage",
    "FrozenLinesQuerySet",
    "GrantSource",
    "Invoice",
    "InvoiceKind",
    "InvoiceLine",
    "InvoiceLineKind",
    "InvoiceLineUsage",
    "InvoiceNumberSequence",
    "InvoiceQuerySet",
    "InvoiceRun",
    "InvoiceRunStatus",
    "InvoiceStatus",
    "LedgerQuerySet",
    "LineUsagesQuerySet",
    "Tariff",
    "Usage",
    "UsageDraw",
    "UsageQuerySet",
    "invoice_pdf_path",
    "name_in_language",
    "validate_swiss_iban",
    "validate_uid",
]
