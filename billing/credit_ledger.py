"""The credit ledger as ``customers`` calls it (``settings.CUSTOMERS_CREDIT_LEDGER``).

``customers`` sits below billing and names this module in settings instead of importing it
(see ``customers.credit``); each function hands over to billing's services and selectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from customers.models import Customer, Licence, RentalPeriod, SupportPlusSubscription

from . import selectors, services


def support_plus_capacity(*, on: date) -> int:
    return selectors.support_plus_capacity(on=on)


def check_change(
    *,
    period: RentalPeriod | None = None,
    licence: Licence | None = None,
    main_module_count: int | None = None,
    support_plus: SupportPlusSubscription | None = None,
) -> None:
    services.check_credit_change(
        period=period,
        licence=licence,
        main_module_count=main_module_count,
        support_plus=support_plus,
    )


def sync(
    *,
    period: RentalPeriod | None = None,
    licence: Licence | None = None,
    support_plus: SupportPlusSubscription | None = None,
) -> None:
    if period is not None:
        services.grant_sync_for_period(period=period)
    if licence is not None:
        services.grant_sync_for_licence(licence=licence)
    if support_plus is not None:
        services.grant_sync_for_support_plus(subscription=support_plus)


def sync_new(*, customers: Sequence[Customer]) -> None:
    # New rows have no grant yet: every grant they give is a missing one.
    services.grants_sync_all(customers=customers)
