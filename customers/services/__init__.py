"""Writes on customers, licences and subscriptions (the ``customers`` part of DESIGN §2).

Every service validates fully and raises ``ValidationError`` with a message a desk employee
understands; nothing is saved when it does.

One module per concept; import the services from here:

- ``customers``: customers and their contact persons
- ``licences``: licences and rental periods, and the credit derived from them
- ``subscriptions``: half-fare and Support+ subscriptions (R6, R7)
- ``erp``: the customer base loaded from an ERP file, row by row through the above
"""

from .customers import (
    FIRST_CUSTOMER_NUMBER,
    contact_create,
    contact_update,
    customer_create,
    customer_create_with_contact,
    customer_update,
)
from .erp import ErpReport, erp_import, erp_import_confirm, erp_import_run, erp_import_upload
from .licences import (
    credit_change_check,
    licence_create,
    licence_credit_sync,
    licence_update,
    rental_period_create,
    rental_period_update,
)
from .subscriptions import (
    half_fare_subscribe,
    half_fare_update,
    support_plus_check,
    support_plus_end,
    support_plus_end_check,
    support_plus_subscribe,
)

__all__ = [
    "FIRST_CUSTOMER_NUMBER",
    "ErpReport",
    "contact_create",
    "contact_update",
    "credit_change_check",
    "customer_create",
    "customer_create_with_contact",
    "customer_update",
    "erp_import",
    "erp_import_confirm",
    "erp_import_run",
    "erp_import_upload",
    "half_fare_subscribe",
    "half_fare_update",
    "licence_create",
    "licence_credit_sync",
    "licence_update",
    "rental_period_create",
    "rental_period_update",
    "support_plus_check",
    "support_plus_end",
    "support_plus_end_check",
    "support_plus_subscribe",
]
