"""Reads of the billing app."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import Tariff


def tariff_in_force(*, on: date) -> Tariff:
    """The tariff in force on ``on``: the latest one whose start is not after that day."""
    tariff = (
        Tariff.objects.filter(valid_from__lte=on)
        .order_by("-valid_from")
        .prefetch_related("credit_allowances")
        .first()
    )
    if tariff is None:
        raise ValidationError(
            _("No tariff is in force on %(day)s; an administrator must enter one.")
            % {"day": f"{on:%d.%m.%Y}"}
        )
    return tariff


def support_plus_capacity(*, on: date) -> int:
    """How many Support+ subscriptions may run at once, per the tariff in force on ``on``."""
    return tariff_in_force(on=on).support_plus_capacity
