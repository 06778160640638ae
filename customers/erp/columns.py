"""The columns and record types of an ERP file, named in English, French or German.

One table, one row per record: a ``record`` column says what the row is (a customer, a
contact, a licence, a rental period, a half-fare or Support+ subscription), and every row
names its customer by the ERP's customer number; licence and period rows name their
licence by the ERP's licence number. An XLSX file may instead hold one sheet per record
type, named as the type. Headers are matched without case, accents, spaces or
punctuation ("N° client", "Kunden-Nr.", "customer_number" all match).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .cells import Cell, choice_names, name_key, parse_choice


class Record(models.TextChoices):
    CUSTOMER = "customer", gettext_lazy("Customer")
    CONTACT = "contact", gettext_lazy("Contact")
    LICENCE = "licence", gettext_lazy("Licence")
    PERIOD = "period", gettext_lazy("Rental period")
    HALF_FARE = "half_fare", gettext_lazy("Half-fare")
    SUPPORT_PLUS = "support_plus", gettext_lazy("Support+")


RECORD_ALIASES = {
    "client": Record.CUSTOMER,
    "Kunde": Record.CUSTOMER,
    "Kontakt": Record.CONTACT,
    "Kontaktperson": Record.CONTACT,
    "personne de contact": Record.CONTACT,
    "license": Record.LICENCE,
    "Lizenz": Record.LICENCE,
    "période": Record.PERIOD,
    "période de location": Record.PERIOD,
    "Mietperiode": Record.PERIOD,
    "Periode": Record.PERIOD,
    "demi-tarif": Record.HALF_FARE,
    "abonnement demi-tarif": Record.HALF_FARE,
    "Halbtax": Record.HALF_FARE,
    "Halbtax-Abo": Record.HALF_FARE,
    "Support plus": Record.SUPPORT_PLUS,
}

# Each column's key, then the names a file may give it (the key itself always matches).
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "record": ("type", "enregistrement", "type d'enregistrement", "Satzart", "Datensatz"),
    "customer_number": (
        "customer number",
        "customer no",
        "n° client",
        "no client",
        "numéro de client",
        "numéro client",
        "Kundennummer",
        "Kunden-Nr",
        "Kundennr",
    ),
    "name": ("nom", "raison sociale", "Firma"),
    "street": ("rue", "Strasse", "Straße"),
    "house_number": ("house no", "n° rue", "numéro de rue", "Hausnummer", "Hausnr"),
    "postcode": ("zip", "NPA", "code postal", "PLZ"),
    "city": ("localité", "ville", "lieu", "Ort", "Ortschaft"),
    "country": ("pays", "Land"),
    "language": ("langue", "Sprache"),
    "email": ("e-mail", "courriel", "E-Mail-Adresse"),
    "phone": ("telephone", "téléphone", "tél", "Telefon", "Tel"),
    "role": ("fonction", "Funktion", "Rolle"),
    "licence_number": (
        "licence number",
        "license number",
        "licence no",
        "n° licence",
        "no licence",
        "numéro de licence",
        "Lizenznummer",
        "Lizenz-Nr",
        "Lizenznr",
    ),
    "kind": ("licence kind", "type de licence", "Lizenzart", "Art"),
    "variant": ("variante",),
    "modules": ("Module",),
    "start": ("from", "début", "du", "Beginn", "von", "ab"),
    "end": ("to", "until", "fin", "au", "Ende", "bis"),
    "annual_rent": ("annual rent", "loyer annuel", "Jahresmiete"),
    "persons": (
        "registered persons",
        "personnes",
        "personnes enregistrées",
        "Personen",
        "registrierte Personen",
    ),
}

# What each record reads: its required columns, then the optional ones.
RECORD_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    Record.CUSTOMER: (
        ("customer_number", "name"),
        ("street", "house_number", "postcode", "city", "country", "language", "email", "phone"),
    ),
    Record.CONTACT: (("customer_number", "name"), ("email", "phone", "role", "language")),
    Record.LICENCE: (("customer_number", "licence_number", "kind", "variant", "modules"), ()),
    Record.PERIOD: (("customer_number", "licence_number", "start", "end", "annual_rent"), ()),
    Record.HALF_FARE: (("customer_number", "start", "end"), ()),
    Record.SUPPORT_PLUS: (("customer_number", "start", "end"), ("persons",)),
}

_HEADERS = {name_key(name): key for key, names in COLUMN_NAMES.items() for name in (key, *names)}


@dataclass(frozen=True)
class Header:
    """A file's header row, read: the column of each key, and the columns it does not know."""

    columns: dict[str, int]  # key → the column's index
    unknown: list[str]


def read_header(cells: list[Cell]) -> Header:
    """The keys of a header row. A column named twice refuses the file; a column the desk
    does not know is reported and left out."""
    columns: dict[str, int] = {}
    unknown: list[str] = []
    for index, cell in enumerate(cells):
        text = "" if cell is None else str(cell).strip()
        if not text:
            continue
        key = _HEADERS.get(name_key(text))
        if key is None:
            unknown.append(text)
            continue
        if key in columns:
            raise ValidationError(_("The column “%(name)s” is in the file twice.") % {"name": text})
        columns[key] = index
    return Header(columns, unknown)


@cache
def _record_names() -> dict[str, str]:
    return choice_names(Record.choices, aliases=RECORD_ALIASES)


def record_of(value: Cell) -> str | None:
    """The record type a ``record`` cell (or a sheet's name) names, in any of the three
    languages; None when it names none."""
    return _record_names().get(name_key(str(value or "")))


def parse_record(value: Cell) -> str | None:
    """As :func:`record_of`, refused with the names a file may use when it names none."""
    return parse_choice(value, Record.choices, aliases=RECORD_ALIASES, what=_("record type"))
