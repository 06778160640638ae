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
