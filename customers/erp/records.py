"""The rows of an ERP file as the records the import applies: each row's cells read
(``cells``) into the values the services take, grouped by customer.

A row that cannot be read (an unknown record type, a cell that is no amount or date, a
required value missing, a key twice in the file) is refused here, with its reason; the
import then leaves its customer as it is (one transaction per customer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..models import Language, LicenceKind, LicenceVariant
from ..models.keys import search_key
from .cells import (
    cell_text,
    is_blank,
    parse_amount,
    parse_choice,
    parse_codes,
    parse_day,
    parse_number,
    parse_persons,
    parse_phone,
)
from .columns import RECORD_COLUMNS, Record
from .reading import ErpFile, ErpRow

KIND_ALIASES = {
    "Miete": LicenceKind.RENTAL,
    "Mietlizenz": LicenceKind.RENTAL,
    "location": LicenceKind.RENTAL,
    "Kauf": LicenceKind.PURCHASE,
    "Kauflizenz": LicenceKind.PURCHASE,
    "achat": LicenceKind.PURCHASE,
}
LANGUAGE_ALIASES = {
    "français": Language.FR,
    "französisch": Language.FR,
    "F": Language.FR,
    "Deutsch": Language.DE,
    "allemand": Language.DE,
    "D": Language.DE,
    "anglais": Language.EN,
    "Englisch": Language.EN,
    "E": Language.EN,
}
COLUMN_LABELS: dict[str, Callable[[], str]] = {
    "customer_number": lambda: _("customer number"),
    "name": lambda: _("name"),
    "licence_number": lambda: _("licence number"),
    "kind": lambda: _("kind"),
    "variant": lambda: _("variant"),
    "modules": lambda: _("modules"),
    "start": lambda: _("start"),
    "end": lambda: _("end"),
    "annual_rent": lambda: _("annual rent"),
}


@dataclass(frozen=True)
class CustomerRecord:
    number: str
    name: str
    street: str
    house_number: str
    postcode: str
    city: str
    country: str
    language: str
    email: str
    phone: str
    # The fields the row says something of: its column is in the file (a blank country or
    # language says nothing). A saved customer keeps the others; a new one takes defaults.
    given: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ContactRecord:
    name: str
    email: str
    phone: str
    role: str
    language: str  # "" is the customer's language
    given: frozenset[str] = frozenset()  # as for a customer


@dataclass(frozen=True)
class LicenceRecord:
    number: str
    kind: str
    variant: str
    modules: tuple[str, ...]


@dataclass(frozen=True)
class PeriodRecord:
    licence_number: str
    start: date
    end: date
    annual_rent: Decimal


@dataclass(frozen=True)
class SpanRecord:
    """A half-fare subscription, or a Support+ one with its registered persons."""

    start: date
    end: date
    persons: tuple[str, ...] = ()


Value = CustomerRecord | ContactRecord | LicenceRecord | PeriodRecord | SpanRecord
V = TypeVar("V", CustomerRecord, ContactRecord, LicenceRecord, PeriodRecord, SpanRecord)


@dataclass
class Line:
    """A row of the file and what became of it."""

    row: ErpRow
    record: str | None
    key: str  # what the row is about: the customer number, a contact's name, a licence …
    customer: str = ""  # the customer number the row names
    value: Value | None = None
    outcome: str = ""  # an ``Outcome`` once applied
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (field, old, new)
    message: str = ""


@dataclass
class CustomerLines:
    """The rows of one customer number, in the file's order."""

    number: str
    lines: list[Line] = field(default_factory=list)

    def of(self, record: str, kind: type[V]) -> list[tuple[Line, V]]:
        """The readable lines of one record type, each with its value."""
        return [
            (line, line.value)
            for line in self.lines
            if line.record == record and isinstance(line.value, kind)
        ]


def customer_lines(erp: ErpFile) -> tuple[list[CustomerLines], list[Line]]:
    """The file's rows grouped by customer number (each read into its record), and the
    rows that name no customer (refused)."""
    customers: dict[str, CustomerLines] = {}
    orphans: list[Line] = []
    for row in erp.rows:
        line = _read(row)
        number = _number_of(row)
        if number is None:
            line.message = line.message or _("The row has no customer number.")
            orphans.append(line)
            continue
        line.customer = number
        customers.setdefault(number, CustomerLines(number)).lines.append(line)
    for group in customers.values():
        _refuse_repeated_keys(group)
    _refuse_shared_licences(list(customers.values()))
    return list(customers.values()), orphans


def _refuse_shared_licences(groups: list[CustomerLines]) -> None:
    """A licence number the file gives to several customers is refused for each: a licence
    belongs to one customer (and the import of one would refuse the other's)."""
    owners: dict[str, set[str]] = {}
    for group in groups:
        for _line, value in group.of(Record.LICENCE, LicenceRecord):
            owners.setdefault(value.number, set()).add(group.number)
    shared = {number: sorted(numbers) for number, numbers in owners.items() if len(numbers) > 1}
    for group in groups:
        for line, value in group.of(Record.LICENCE, LicenceRecord):
            if value.number in shared:
                line.value = None
                line.message = _(
                    "Licence %(number)s is given to several customers in the file: %(customers)s."
                ) % {"number": value.number, "customers": ", ".join(shared[value.number])}


def _number_of(row: ErpRow) -> str | None:
    try:
        return parse_number(row.cells.get("customer_number"))
    except ValidationError:
        return None


def _read(row: ErpRow) -> Line:
    line = Line(row, row.record, key=_raw_key(row))
    if row.record is None:
        line.message = row.problem
        return line
    try:
        _require(row)
        line.value = READERS[row.record](row.cells)
    except ValidationError as exc:
        line.message = " ".join(exc.messages)
        return line
    line.key = _key(line.value)
    return line


def _raw_key(row: ErpRow) -> str:
    """What a row that cannot be read is about, as the file writes it."""
    keyed: dict[str, tuple[str, ...]] = {
        Record.CUSTOMER: ("customer_number",),
        Record.CONTACT: ("name",),
        Record.LICENCE: ("licence_number",),
        Record.PERIOD: ("licence_number", "start"),
    }
    names = keyed.get(row.record or "", ("start",))
    return " ".join(str(row.cells[n]).strip() for n in names if not is_blank(row.cells.get(n)))


def _require(row: ErpRow) -> None:
    assert row.record is not None
    required, _optional = RECORD_COLUMNS[row.record]
    missing = [key for key in required if is_blank(row.cells.get(key))]
    if missing:
        raise ValidationError(
            _("The row leaves empty: %(columns)s.")
            % {"columns": ", ".join(COLUMN_LABELS[key]() for key in missing)}
        )


CUSTOMER_TEXTS = ("name", "street", "house_number", "postcode", "city", "email", "phone")
CONTACT_TEXTS = ("name", "email", "phone", "role", "language")


def _customer(cells) -> CustomerRecord:
    country = cell_text(cells.get("country")).upper()
    language = _language(cells.get("language"))
    given = {key for key in CUSTOMER_TEXTS if key in cells}
    given |= {key for key, value in (("country", country), ("language", language)) if value}
    return CustomerRecord(
        number=parse_number(cells.get("customer_number")) or "",
        name=cell_text(cells.get("name")),
        street=cell_text(cells.get("street")),
        house_number=cell_text(cells.get("house_number")),
        postcode=cell_text(cells.get("postcode")),
        city=cell_text(cells.get("city")),
        country=country or "CH",
        language=language or Language.FR,
        email=cell_text(cells.get("email")),
        phone=parse_phone(cells.get("phone")),
        given=frozenset(given),
    )


def _language(value) -> str | None:
    return parse_choice(value, Language.choices, aliases=LANGUAGE_ALIASES, what=_("language"))


def _contact(cells) -> ContactRecord:
    return ContactRecord(
        name=cell_text(cells.get("name")),
        email=cell_text(cells.get("email")),
        phone=parse_phone(cells.get("phone")),
        role=cell_text(cells.get("role")),
        language=_language(cells.get("language")) or "",
        given=frozenset(key for key in CONTACT_TEXTS if key in cells),
    )


def _licence(cells) -> LicenceRecord:
    kind = parse_choice(
        cells.get("kind"), LicenceKind.choices, aliases=KIND_ALIASES, what=_("kind")
    )
    variant = parse_choice(cells.get("variant"), LicenceVariant.choices, what=_("variant"))
    assert kind is not None and variant is not None  # required
    return LicenceRecord(
        number=parse_number(cells.get("licence_number")) or "",
        kind=kind,
        variant=variant,
        modules=tuple(parse_codes(cells.get("modules"))),
    )


def _period(cells) -> PeriodRecord:
    start, end = parse_day(cells.get("start")), parse_day(cells.get("end"))
    rent = parse_amount(cells.get("annual_rent"))
    assert start is not None and end is not None and rent is not None  # required
    return PeriodRecord(parse_number(cells.get("licence_number")) or "", start, end, rent)


def _span(cells) -> SpanRecord:
    start, end = parse_day(cells.get("start")), parse_day(cells.get("end"))
    assert start is not None and end is not None  # required
    return SpanRecord(start, end, tuple(parse_persons(cells.get("persons"))))


READERS: dict[str, Callable[..., Value]] = {
    Record.CUSTOMER: _customer,
    Record.CONTACT: _contact,
    Record.LICENCE: _licence,
    Record.PERIOD: _period,
    Record.HALF_FARE: _span,
    Record.SUPPORT_PLUS: _span,
}


def _identity(line: Line) -> tuple[str, str]:
    """What makes two rows of one customer the same record: a contact is its name and its
    e-mail (two contacts may share a name), the others their key."""
    assert line.record is not None
    if isinstance(line.value, ContactRecord):
        return line.record, f"{search_key(line.value.name)} {line.value.email.casefold()}"
    return line.record, search_key(line.key)


def _key(value: Value) -> str:
    if isinstance(value, CustomerRecord):
        return value.number
    if isinstance(value, ContactRecord):
        return value.name
    if isinstance(value, LicenceRecord):
        return value.number
    if isinstance(value, PeriodRecord):
        return f"{value.licence_number} {value.start:%d.%m.%Y}"
    return f"{value.start:%d.%m.%Y}"


def _refuse_repeated_keys(group: CustomerLines) -> None:
    """A record named twice (the customer, a contact, a licence, a period by its start, a
    subscription by its start) is refused the second time: the file must say one thing."""
    seen: set[tuple[str, str]] = set()
    for line in group.lines:
        if line.value is None:
            continue
        assert line.record is not None
        identity = _identity(line)
        if identity in seen:
            line.value = None
            line.message = _("%(what)s %(key)s is in the file twice.") % {
                "what": Record(line.record).label,
                "key": line.key,
            }
        seen.add(identity)
