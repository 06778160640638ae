"""Private helpers that more than one module of the customers services needs: checks of
the input that give the desk a clear message."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _require_date(value, label: str) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationError(_("%(field)s must be a date.") % {"field": label})
    return value


def _require_saved(obj, model, message: str):
    """An existing row of ``model``; anything else (None, another model, unsaved) is refused."""
    if not isinstance(obj, model) or obj.pk is None:
        raise ValidationError(message)
    return obj


def _require_span(start, end) -> tuple[date, date]:
    start = _require_date(start, _("The start"))
    end = _require_date(end, _("The end"))
    if end < start:
        raise ValidationError(_("The end date cannot be before the start date."))
    return start, end


def _text(value, label: str, max_length: int | None = None) -> str:
    """Text input, stripped; ``None`` is empty; anything else is refused, not coerced.

    With ``max_length`` (the column's), longer text is refused with the field's name.
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(_("%(field)s must be text.") % {"field": label})
    value = value.strip()
    if max_length is not None and len(value) > max_length:
        raise ValidationError(
            _("%(field)s has at most %(max)s characters.") % {"field": label, "max": max_length}
        )
    return value


def _max_length(model, field: str) -> int:
    return model._meta.get_field(field).max_length
