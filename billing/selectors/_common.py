"""Private helpers that more than one module of the billing selectors needs."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from customers.models import Customer


def _require_customer(customer) -> None:
    if not isinstance(customer, Customer) or customer.pk is None:
        raise ValidationError(_("Choose an existing customer."))


def _require_day(on) -> None:
    if not isinstance(on, date) or isinstance(on, datetime):
        raise ValidationError(_("The day must be a date."))
