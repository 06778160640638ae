"""The customer base written as an ERP file, in the layout the import reads: one table,
one row per record, headers in the user's language. Imported again, the file changes
nothing (a round trip).

CSV as the desk's other exports write it (UTF-8 with a byte-order mark, ``;``, dates
31.12.2026, amounts 1440.00); XLSX with real dates and numbers. Phone numbers are written
internationally with spaces (+41 44 211 22 33), which a spreadsheet keeps as text.

A licence entered at the desk without the ERP's licence number is left out, with its
rental periods: the import finds licences by that number. ``ErpExport.unnumbered`` counts
them, so that whoever exports can give them their numbers first.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.utils import translation

from q3helpdesk.ui.exports import export_bytes, export_cell
from q3helpdesk.ui.rendering import phone_text

from ..models import Customer, LicenceKind, LicenceVariant
from ..selectors import customers_for_erp
from .columns import Record

# The columns of the export, each with its header in each language (all read back by
# ``columns.read_header``).
HEADERS: dict[str, dict[str, str]] = {
    "record": {"fr": "Type", "de": "Satzart", "en": "Record"},
    "customer_number": {"fr": "N° client", "de": "Kundennummer", "en": "Customer number"},
    "name": {"fr": "Nom", "de": "Name", "en": "Name"},
    "street": {"fr": "Rue", "de": "Strasse", "en": "Street"},
    "house_number": {"fr": "N° rue", "de": "Hausnummer", "en": "House number"},
    "postcode": {"fr": "NPA", "de": "PLZ", "en": "Postcode"},
    "city": {"fr": "Localité", "de": "Ort", "en": "City"},
    "country": {"fr": "Pays", "de": "Land", "en": "Country"},
    "language": {"fr": "Langue", "de": "Sprache", "en": "Language"},
    "email": {"fr": "E-mail", "de": "E-Mail", "en": "E-mail"},
    "phone": {"fr": "Téléphone", "de": "Telefon", "en": "Phone"},
    "role": {"fr": "Fonction", "de": "Funktion", "en": "Role"},
    "licence_number": {"fr": "N° licence", "de": "Lizenznummer", "en": "Licence number"},
    "kind": {"fr": "Type de licence", "de": "Lizenzart", "en": "Licence kind"},
    "variant": {"fr": "Variante", "de": "Variante", "en": "Variant"},
    "modules": {"fr": "Modules", "de": "Module", "en": "Modules"},
    "start": {"fr": "Début", "de": "Beginn", "en": "Start"},
    "end": {"fr": "Fin", "de": "Ende", "en": "End"},
    "annual_rent": {"fr": "Loyer annuel", "de": "Jahresmiete", "en": "Annual rent"},
    "persons": {"fr": "Personnes", "de": "Personen", "en": "Persons"},
}
KEYS = list(HEADERS)


@dataclass
class ErpExport:
    content: bytes
    customers: int = 0
    rows: int = 0
    unnumbered: int = 0  # licences left out: no ERP licence number


def erp_export(*, fmt: str = "csv", language: str = "fr") -> ErpExport:
    """Every customer of the desk as an ERP file (``fmt`` "csv" or "xlsx")."""
    export = ErpExport(b"")
    with translation.override(language):
        rows = _rows(export, language=language, for_csv=fmt == "csv")
        export.content = export_bytes(rows, fmt=fmt, title="ERP")
    return export


def _rows(export: ErpExport, *, language: str, for_csv: bool) -> Iterator[list]:
    yield [HEADERS[key].get(language, HEADERS[key]["en"]) for key in KEYS]
    for customer in customers_for_erp():
        export.customers += 1
        for record, cells in _records(customer, export):
            export.rows += 1
            row = {"record": Record(record).label, "customer_number": customer.number, **cells}
            yield [export_cell(row.get(key), for_csv=for_csv) for key in KEYS]


def _records(customer: Customer, export: ErpExport) -> Iterator[tuple[str, dict]]:
    yield (
        Record.CUSTOMER,
        {
            "name": customer.name,
            "street": customer.street,
            "house_number": customer.house_number,
            "postcode": customer.postcode,
            "city": customer.city,
            "country": customer.country,
            "language": customer.language,
            "email": customer.email,
            "phone": _phone(customer.phone),
        },
    )
    for contact in customer.contacts.all():
        yield (
            Record.CONTACT,
            {
                "name": contact.name,
                "email": contact.email,
                "phone": _phone(contact.phone),
                "role": contact.role,
                "language": contact.language,
            },
        )
    for licence in customer.licences.all():
        if not licence.number:
            export.unnumbered += 1
            continue
        yield (
            Record.LICENCE,
            {
                "licence_number": licence.number,
                "kind": LicenceKind(licence.kind).label,
                "variant": LicenceVariant(licence.variant).label,
                "modules": ", ".join(module.code for module in licence.modules.all()),
            },
        )
        for period in sorted(licence.rental_periods.all(), key=lambda p: p.start):
            yield (
                Record.PERIOD,
                {
                    "licence_number": licence.number,
                    "start": period.start,
                    "end": period.end,
                    "annual_rent": period.annual_rent,
                },
            )
    for half_fare in sorted(customer.half_fare_subscriptions.all(), key=lambda s: s.start):
        yield Record.HALF_FARE, {"start": half_fare.start, "end": half_fare.end}
    for subscription in customer.support_plus_subscriptions.all():
        persons = "; ".join(r.contact.name for r in subscription.registrations.all())
        yield (
            Record.SUPPORT_PLUS,
            {"start": subscription.start, "end": subscription.end, "persons": persons},
        )


def _phone(number) -> str:
    """+41 44 211 22 33, as the desk shows it (``PHONENUMBER_DEFAULT_FORMAT``)."""
    return phone_text(number) if number else ""
