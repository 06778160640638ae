"""The support credit, as the customers services need it.

Credit grants live in ``billing`` (DESIGN §2), which sits above ``customers``: this app may
not import it. The services that change what credit is derived from (rental periods,
licences, Support+ subscriptions) still call the credit ledger explicitly, through
:func:`ledger`: it loads the module named by ``settings.CUSTOMERS_CREDIT_LEDGER`` (as
``EMAIL_BACKEND`` names the mail backend), which provides the functions of
:class:`CreditLedger`. No signal and no registry: every call is in a service (or, for
customers created in bulk by the ERP import, in that import).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from importlib import import_module
from typing import TYPE_CHECKING, Protocol, cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from .models import Customer, Licence, RentalPeriod, SupportPlusSubscription


class CreditLedger(Protocol):
    def support_plus_capacity(self, *, on: date) -> int:
        """How many Support+ subscriptions may run at once on ``on`` (R7)."""

    def check_change(
        self,
        *,
        period: RentalPeriod | None = None,
        licence: Licence | None = None,
        main_module_count: int | None = None,
        support_plus: SupportPlusSubscription | None = None,
    ) -> None:
        """Raise ValidationError when this change (the objects carry their new, unsaved
        values) would take back support credit already used. Writes nothing."""

    def sync(
        self,
        *,
        period: RentalPeriod | None = None,
        licence: Licence | None = None,
        support_plus: SupportPlusSubscription | None = None,
    ) -> None:
        """Derive the credit again from the saved rows (R3, R7)."""

    def sync_new(self, *, customers: Sequence[Customer]) -> None:
        """Derive the credit of customers whose licences, rental periods and Support+
        subscriptions were all just created at once (without :meth:`sync`), as ``sync``
        would have for each: in a number of queries that does not grow with the rows."""


def ledger() -> CreditLedger:
    """The credit ledger named by ``settings.CUSTOMERS_CREDIT_LEDGER``."""
    name = getattr(settings, "CUSTOMERS_CREDIT_LEDGER", "")
    if not name:
        raise ImproperlyConfigured("CUSTOMERS_CREDIT_LEDGER names no credit ledger module.")
    return cast(CreditLedger, import_module(name))
