"""Customers, their licences and rental periods, and their subscriptions.

Rules that concern one row live in ``clean()`` and database constraints; rules that need
other rows or other apps (overlaps under a lock, Support+ capacity) live in the services.

One module per concept; import the models from here:

- ``customers``: customers and their contacts, the languages
- ``licences``: modules, licences (kinds, variants) and rental periods
- ``subscriptions``: half-fare and Support+ subscriptions, the registered persons
- ``support_plus``: the Support+ rule over a subscription's whole term (R7)
- ``keys``: names as the caller lookup compares them
- ``spans``: spans of days, whether they cover a term
"""

from .customers import (
    Contact,
    Customer,
    Language,
    country_validator,
    customer_number_validator,
)
from .erp import ErpImport, ErpImportStatus
from .keys import (
    NameKeyed,
    fold_key,
    search_key,
)
from .licences import (
    SUPPORT_PLUS_VARIANTS,
    Licence,
    LicenceKind,
    LicenceVariant,
    Module,
    RentalPeriod,
    RentalPeriodQuerySet,
    SupportPlusGuardedQuerySet,
)
from .spans import (
    Span,
    format_span,
    newly_uncovered,
    spans_cover,
)
from .subscriptions import (
    HalfFareQuerySet,
    HalfFareSubscription,
    SupportPlusRegistration,
    SupportPlusSubscription,
)
from .support_plus import (
    check_support_plus_kept,
    half_fare_spans,
    support_plus_rental_spans,
)

__all__ = [
    "SUPPORT_PLUS_VARIANTS",
    "Contact",
    "Customer",
    "ErpImport",
    "ErpImportStatus",
    "HalfFareQuerySet",
    "HalfFareSubscription",
    "Language",
    "Licence",
    "LicenceKind",
    "LicenceVariant",
    "Module",
    "NameKeyed",
    "RentalPeriod",
    "RentalPeriodQuerySet",
    "Span",
    "SupportPlusGuardedQuerySet",
    "SupportPlusRegistration",
    "SupportPlusSubscription",
    "check_support_plus_kept",
    "country_validator",
    "customer_number_validator",
    "fold_key",
    "format_span",
    "half_fare_spans",
    "newly_uncovered",
    "search_key",
    "spans_cover",
    "support_plus_rental_spans",
]
