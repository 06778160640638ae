"""What the ERP import says of a row, and the small steps that decide it: a service call
in a savepoint, the fields a row changes (old → new, in words), the saved row a row names.
Used by ``applying``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy

from q3helpdesk.ui.tables import amount_text

from ..models import Contact, LicenceKind, LicenceVariant
from ..models.keys import search_key
from .records import ContactRecord, Line, PeriodRecord, SpanRecord


class Outcome(models.TextChoices):
    NEW = "new", gettext_lazy("new")
    CHANGED = "changed", gettext_lazy("changed")
    UNCHANGED = "unchanged", gettext_lazy("unchanged")
    REFUSED = "refused", gettext_lazy("refused")
    NOT_APPLIED = "not_applied", gettext_lazy("not applied")


def attempt(line: Line, write: Callable[[], object], outcome: str) -> bool:
    """Run one service call in a savepoint; the line is refused with its reasons when the
    service refuses."""
    try:
        with transaction.atomic():
            write()
    except ValidationError as exc:
        line.outcome, line.message = Outcome.REFUSED, " ".join(exc.messages)
        return False
    line.outcome = outcome
    return True


def refuse(line: Line, message: str) -> None:
    line.outcome, line.message = Outcome.REFUSED, message


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return f"{value:%d.%m.%Y}"
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    if hasattr(value, "as_e164"):
        return value.as_e164
    return str(value)


def _in_words(name: str, value) -> str:
    """A field's value as the report shows it (1'440.00, 31.12.2026, Profi, COFI, SAL)."""
    if name == "annual_rent":
        return amount_text(value)
    if name == "variant":
        return str(LicenceVariant(value).label)
    if name == "kind":
        return str(LicenceKind(value).label)
    return _shown(value)


def _label(model, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


def changes(model, saved: dict, wanted: dict) -> list[tuple[str, str, str]]:
    """(field, old, new) for each field whose value the file changes, in words."""
    return [
        (_label(model, name), _in_words(name, saved[name]), _in_words(name, new))
        for name, new in wanted.items()
        if not (saved[name] == new or (name == "modules" and sorted(saved[name]) == sorted(new)))
    ]


def brought(model, wanted: dict) -> list[tuple[str, str, str]]:
    """What a new row brings, as the report lists it: (field, "", value) for each value
    given."""
    return [
        (_label(model, name), "", _in_words(name, value))
        for name, value in wanted.items()
        if value not in ("", None, ())
    ]


def create_new(line: Line, model, wanted: dict, write: Callable[[], object]) -> bool:
    """A row the desk does not have yet: created through ``write``; the report lists what
    it brings (:func:`brought`)."""
    line.changes = brought(model, wanted)
    return attempt(line, write, Outcome.NEW)


def phone_e164(value) -> str:
    return value.as_e164 if value else ""


def update_saved(
    line: Line, found: list[tuple[str, str, str]], write: Callable[[], object]
) -> None:
    """A saved row the file names: unchanged, or changed (``found``, see :func:`changes`)
    through ``write``."""
    line.changes = found
    if not found:
        line.outcome = Outcome.UNCHANGED
        return
    attempt(line, write, Outcome.CHANGED)


def contact_of(saved: list[Contact], value: ContactRecord) -> Contact | None:
    """The saved contact a contact row names: by its name (case and accents aside), and
    by its e-mail too when two contacts of the customer share the name."""
    named = [contact for contact in saved if search_key(contact.name) == search_key(value.name)]
    if len(named) > 1:
        named = [c for c in named if c.email.casefold() == value.email.casefold()][:1]
    return named[0] if named else None


def matching(saved: list, value: PeriodRecord | SpanRecord):
    """The saved row (a period, a subscription) that starts on the value's start, or else
    the only one that overlaps its term; None when there is none (a new one)."""
    for row in saved:
        if row.start == value.start:
            return row
    overlapping = [row for row in saved if row.start <= value.end and value.start <= row.end]
    return overlapping[0] if len(overlapping) == 1 else None
