"""Reads of the billing app (DESIGN §2), one module per concept; import them from here.

- ``tariffs``: the tariff in force on a day, the next one, and its activities
- ``quotes``: planning a posting (``plan_usage``) and the desk's ``quote``
- ``credit``: ``credit_balance``, ``credit_history``, ``work_summary``, grants with their use
- ``ledger``: the usage ledger's rows and sums, and its kinds of minutes
- ``invoicing``: the creditor data, invoice lists, runs and an invoice's lines by case
"""

from .credit import (
    CreditBalance,
    CreditBucket,
    WorkSummary,
    credit_balance,
    credit_balances,
    credit_history,
    grants_with_use,
    work_summary,
)
from .invoicing import (
    LineGroup,
    company,
    has_drafts,
    invoice_line_groups,
    invoice_list_totals,
    invoice_runs_recent,
    invoices,
    last_invoiced_day,
)
from .ledger import (
    LedgerMinutes,
    ledger_minutes_q,
    ledger_totals,
    ledger_usages,
)
from .quotes import (
    MAX_MINUTES,
    Charge,
    Plan,
    Quote,
    charge_posting,
    check_work_day,
    coverable_grants,
    plan_usage,
    posting_rate,
    quote,
)
from .tariffs import (
    activity_choices,
    activity_filter_choices,
    activity_names,
    free_on_verified_error,
    posted_free_on_verified_error,
    support_plus_capacity,
    tariff_in_force,
    tariff_upcoming,
)

__all__ = [
    "MAX_MINUTES",
    "Charge",
    "CreditBalance",
    "CreditBucket",
    "LedgerMinutes",
    "LineGroup",
    "Plan",
    "Quote",
    "WorkSummary",
    "activity_choices",
    "activity_filter_choices",
    "activity_names",
    "charge_posting",
    "check_work_day",
    "company",
    "coverable_grants",
    "credit_balance",
    "credit_balances",
    "credit_history",
    "free_on_verified_error",
    "grants_with_use",
    "has_drafts",
    "invoice_line_groups",
    "invoice_list_totals",
    "invoice_runs_recent",
    "invoices",
    "last_invoiced_day",
    "ledger_minutes_q",
    "ledger_totals",
    "ledger_usages",
    "plan_usage",
    "posted_free_on_verified_error",
    "posting_rate",
    "quote",
    "support_plus_capacity",
    "tariff_in_force",
    "tariff_upcoming",
    "work_summary",
]
