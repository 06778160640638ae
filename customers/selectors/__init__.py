"""Reads about customers: eligibility for support (R1) and what decides the credit (R3).

One module per concept; import the selectors from here:

- ``support``: ``support_status`` on a day (``charge_facts``: what a posting reads of it),
  the home page's head counts
- ``lookup``: the caller lookup (``customer_lookup``) and phone numbers
- ``lists``: the customer list and possible duplicates of a new customer
- ``erp``: the customer base as the ERP export writes it
"""

from .erp import (
    ErpImportReport,
    customers_for_erp,
    erp_import_report,
    erp_imports_recent,
    unnumbered_licences,
)
from .lists import (
    PossibleDuplicate,
    current_periods,
    customers_for_list,
    half_fare_running,
    possible_duplicates,
    support_plus_running,
)
from .lookup import (
    LOOKUP_MAX,
    PHONE_PART_MIN_DIGITS,
    TYPO_CANDIDATES,
    TYPO_MIN_LENGTH,
    TYPO_SIMILARITY,
    LookupHit,
    LookupResult,
    customer_lookup,
    normalise_phone,
    one_edit_apart,
    phone_part,
)
from .support import (
    VARIANT_RANK,
    ChargeFacts,
    StatusCode,
    SupportStatus,
    charge_facts,
    customer_overview,
    registered_on,
    support_status,
)

__all__ = [
    "LOOKUP_MAX",
    "PHONE_PART_MIN_DIGITS",
    "TYPO_CANDIDATES",
    "TYPO_MIN_LENGTH",
    "TYPO_SIMILARITY",
    "VARIANT_RANK",
    "ChargeFacts",
    "ErpImportReport",
    "LookupHit",
    "LookupResult",
    "PossibleDuplicate",
    "StatusCode",
    "SupportStatus",
    "charge_facts",
    "current_periods",
    "customer_lookup",
    "customer_overview",
    "customers_for_erp",
    "customers_for_list",
    "erp_import_report",
    "erp_imports_recent",
    "half_fare_running",
    "normalise_phone",
    "one_edit_apart",
    "phone_part",
    "possible_duplicates",
    "registered_on",
    "support_plus_running",
    "support_status",
    "unnumbered_licences",
]
