"""What ``customers`` needs from the apps above it, registered by them at start-up.

``customers`` may import Django only; the Support+ capacity lives in billing's tariff, so
billing registers a provider here from its ``AppConfig.ready()``.
"""

from collections.abc import Callable
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_support_plus_capacity: Callable[..., int] | None = None


def register_support_plus_capacity(provider: Callable[..., int]) -> None:
    """``provider(on=date) -> int``: how many Support+ subscriptions may run at once."""
    global _support_plus_capacity
    _support_plus_capacity = provider


def support_plus_capacity(*, on: date) -> int:
    if _support_plus_capacity is None:
        raise ValidationError(_("The Support+ capacity is not configured."))
    return _support_plus_capacity(on=on)


_credit_change_checks: list[Callable[..., None]] = []


def register_credit_change_check(check: Callable[..., None]) -> None:
    """``check(period=..., licence=..., main_module_count=..., support_plus=...)`` raises
    ValidationError when a change would take away support credit that has been used."""
    if check not in _credit_change_checks:
        _credit_change_checks.append(check)


def check_credit_change(
    *, period=None, licence=None, main_module_count=None, support_plus=None
) -> None:
    """Ask the apps above whether this change of a period, a licence or a Support+
    subscription (each with its new, unsaved values) is still possible."""
    for check in _credit_change_checks:
        check(
            period=period,
            licence=licence,
            main_module_count=main_module_count,
            support_plus=support_plus,
        )
