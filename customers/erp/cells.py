"""The cells of an ERP file, read as the desk's services take them.

A cell comes as the file holds it: text from a CSV, a number, a date or text from an XLSX.
Each function here reads one kind of value as a Swiss ERP writes it (``1'440.00`` and
``1440,00``, ``31.12.2026``, ``031 511 49 49``, "Miete" or "location") and refuses
anything it would have to guess, with a message in the user's language. Empty cells are
None (or "" for text): whether a value is required is the caller's rule.

Pure functions: no database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from customers.models.keys import search_key
from q3helpdesk.ui.exports import FORMULA_STARTS
from q3helpdesk.ui.filters import DateRangeFilterSet

Cell = str | int | float | Decimal | date | datetime | bool | None

CENTS = Decimal("0.01")
# What a Swiss amount may carry besides digits: the currency, spaces of every width and the
# apostrophes of the thousands.
_CURRENCY = re.compile(r"^(?:CHF|SFr\.?|Fr\.?)\s*|\s*(?:CHF|SFr\.?|Fr\.?)$", re.IGNORECASE)
# 1'440.00, 1 440,50, 1.440,00, 1,440.00, 1440.5, 1440.– : the digits in groups of three
# with one separator throughout, or none; a decimal point or comma with centimes, or a dash
# for a round amount.
_AMOUNT = re.compile(
    r"""(?P<sign>-)?
    (?P<whole>\d{1,3}(?P<sep>['’ʼ`´ \u00a0\u202f\u2009.,])\d{3}(?:(?P=sep)\d{3})*|\d+)
    (?:(?P<mark>[.,])(?P<cents>\d+|[-\u2013\u2014]))?""",
    re.VERBOSE,
)
_DATE_FORMATS = ("%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d", "%d/%m/%Y")
_CODE_SEPARATORS = re.compile(r"[,;/+\s]+")
_PERSON_SEPARATORS = re.compile(r"[;\n]+")


def is_blank(value: Cell) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def unneutralise(text: str) -> str:
    """Text as it was before the desk's export kept a spreadsheet from running it: the
    apostrophe written before ``= + - @`` goes (``q3helpdesk.ui.exports.neutralise``)."""
    if text.startswith("'") and text[1:].lstrip(" ").startswith(FORMULA_STARTS):
        return text[1:]
    return text


def cell_text(value: Cell) -> str:
    """A text cell: "" when empty; a whole number (an XLSX postcode, a house number) as
    its digits."""
    if is_blank(value):
        return ""
    if isinstance(value, bool | date):
        raise ValidationError(_("“%(value)s” is not text.") % {"value": value})
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float | Decimal):
        return str(value)
    return unneutralise(str(value).strip())


def parse_number(value: Cell) -> str | None:
    """A customer or licence number, as text ("10234" from a cell holding 10234.0)."""
    text = cell_text(value)
    return text or None


def parse_amount(value: Cell) -> Decimal | None:
    """An amount in francs: ``1'440.00``, ``1440,00``, ``1 440.50``, ``1.440,00``,
    ``CHF 1'440.–`` or a number cell. Refused: text that is no amount, more than two
    decimals, and ``1,440`` or ``1.440`` (thousands or decimals? the file must say)."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise _not_an_amount(value)
    if isinstance(value, float):
        # A spreadsheet's formula leaves 1439.9999999999998 for 1440: a float is read to
        # the millionth, and what is left must still be francs and centimes.
        value = round(value, 6)
    if isinstance(value, int | float | Decimal):
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            raise _not_an_amount(value) from None
        return _cents(amount, value)
    if not isinstance(value, str):
        raise _not_an_amount(value)
    found = _AMOUNT.fullmatch(_CURRENCY.sub("", value.strip()))
    if found is None:
        raise _not_an_amount(value)
    sign, whole, separator, mark, cents = found.group("sign", "whole", "sep", "mark", "cents")
    if separator is not None and separator == mark:
        raise _not_an_amount(value)
    if separator in (".", ",") and mark is None and whole.count(separator) == 1:
        # 1,440 or 1.440: thousands in one writing, decimals in the other.
        raise ValidationError(
            _(
                "“%(value)s” can be read two ways: write the amount with two decimals,"
                " as 1'440.00 or 1440,00."
            )
            % {"value": value}
        )
    if cents is not None and len(cents) > 2:
        raise _too_precise(value)
    if cents is None or not cents.isdigit():
        cents = "0"  # none, or 1440.– (a round amount)
    digits = whole if separator is None else whole.replace(separator, "")
    return _cents(Decimal(f"{sign or ''}{digits}.{cents}"), value)


def _cents(amount: Decimal, original: Cell) -> Decimal:
    if not amount.is_finite():
        raise _not_an_amount(original)
    rounded = amount.quantize(CENTS)
    if rounded != amount:
        raise _too_precise(original)
    return rounded


def _not_an_amount(value: Cell) -> ValidationError:
    return ValidationError(
        _("“%(value)s” is not an amount: write it as 1'440.00 or 1440,00.") % {"value": value}
    )


def _too_precise(value: Cell) -> ValidationError:
    return ValidationError(
        _("“%(value)s” has more than two decimals: an amount is in francs and centimes.")
        % {"value": value}
    )


EARLIEST, LATEST = DateRangeFilterSet.earliest, DateRangeFilterSet.latest


def parse_day(value: Cell) -> date | None:
    """A day: ``31.12.2026``, ``31.12.26``, ``2026-12-31``, ``31/12/2026`` or a date cell
    (an XLSX date at midnight), within the bounds every date filter of the desk keeps
    (1990–2199: a year typed wrong, 9999 or 0001, is refused, not carried along)."""
    day = _day(value)
    if day is not None and not EARLIEST <= day <= LATEST:
        raise ValidationError(
            _("Choose a date between %(first)s and %(last)s.")
            % {"first": f"{EARLIEST:%d.%m.%Y}", "last": f"{LATEST:%d.%m.%Y}"}
        )
    return day


def _day(value: Cell) -> date | None:
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        if value.time() != time(0, 0):
            raise _not_a_day(value)
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        for form in _DATE_FORMATS:
            try:
                return datetime.strptime(text, form).date()
            except ValueError:
                continue
    raise _not_a_day(value)


def _not_a_day(value: Cell) -> ValidationError:
    return ValidationError(
        _("“%(value)s” is not a date: write it as 31.12.2026.") % {"value": value}
    )


def parse_phone(value: Cell) -> str:
    """A phone number in any writing (``031 511 49 49``, ``+41 31 511 49 49``,
    ``0041315114949``, a number cell that lost its leading 0) as E.164; "" when empty."""
    # Here, not at the top: the selectors package reads the ERP report through this one.
    from customers.selectors.lookup import normalise_phone

    text = cell_text(value)
    if not text:
        return ""
    if isinstance(value, int | float) and text.isdigit():
        # A spreadsheet keeps 031 511 49 49 as the number 315114949, +41 31 511 49 49 as
        # 41315114949.
        text = "0" + text if len(text) == 9 else "+" + text
    phone = normalise_phone(text)
    if phone is None:
        raise ValidationError(_("“%(value)s” is not a phone number.") % {"value": value})
    return phone


def parse_choice(
    value: Cell,
    choices: Sequence[tuple[str, object]],
    *,
    aliases: Mapping[str, str] | None = None,
    what: str,
) -> str | None:
    """One of ``choices`` (value, label), named by its value, its label in French, German
    or English, or an alias ("Miete" → "rental"); case and accents do not count."""
    text = cell_text(value)
    if not text:
        return None
    known = choice_names(choices, aliases=aliases)
    found = known.get(name_key(text))
    if found is None:
        raise ValidationError(
            _("“%(value)s” is not a %(what)s; the file may name: %(names)s.")
            % {
                "value": value,
                "what": what,
                "names": ", ".join(str(label) for _v, label in choices),
            }
        )
    return found


# choice_names() by its choices and aliases: reading a label in three languages for each
# cell of a large file took longer than importing it.
_CHOICE_NAMES: dict[tuple, dict[str, str]] = {}


def choice_names(
    choices: Iterable[tuple[str, object]], *, aliases: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Every name a file may use for each choice → the choice's value."""
    choices = list(choices)
    key = (
        tuple((value, str(label)) for value, label in choices),
        tuple(sorted((aliases or {}).items())),
    )
    if key not in _CHOICE_NAMES:
        _CHOICE_NAMES[key] = _all_names(choices, aliases)
    return _CHOICE_NAMES[key]


def _all_names(
    choices: Iterable[tuple[str, object]], aliases: Mapping[str, str] | None
) -> dict[str, str]:
    names: dict[str, str] = {}
    for value, label in choices:
        names[name_key(value)] = value
        for language in ("fr", "de", "en"):
            with translation.override(language):
                names[name_key(str(label))] = value
    for alias, value in (aliases or {}).items():
        names[name_key(alias)] = value
    return names


def name_key(text: str) -> str:
    """A name as a file's names are compared: without case, accents, spaces or
    punctuation ("N° client" → "nclient")."""
    return re.sub(r"[\W_]+", "", search_key(text))


def parse_codes(value: Cell) -> list[str]:
    """Module codes: ``COFI, SAL; FAC`` → ["COFI", "SAL", "FAC"] (upper case, in order)."""
    text = cell_text(value)
    return [code.upper() for code in _CODE_SEPARATORS.split(text) if code]


def parse_persons(value: Cell) -> list[str]:
    """Names of persons, one per line or separated by ``;``, in order."""
    return [name.strip() for name in _PERSON_SEPARATORS.split(cell_text(value)) if name.strip()]
