"""The cells of an ERP file as a Swiss ERP writes them (issue 18): amounts, dates, phone
numbers, choices and codes; what cannot be read for sure is refused, in the user's
language, never guessed."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from customers.erp.cells import (
    cell_text,
    parse_amount,
    parse_choice,
    parse_codes,
    parse_day,
    parse_number,
    parse_persons,
    parse_phone,
    unneutralise,
)
from customers.erp.columns import Record, parse_record, read_header, record_of
from customers.models import LicenceKind, LicenceVariant
from q3helpdesk.ui.exports import neutralise


@pytest.mark.parametrize(
    ("cell", "amount"),
    [
        ("1'440.00", "1440.00"),
        ("1’440.00", "1440.00"),
        ("1440,00", "1440.00"),
        ("1440.5", "1440.50"),
        ("1 440,50", "1440.50"),
        ("1\u00a0440.50", "1440.50"),
        ("1\u202f440,50", "1440.50"),
        ("1.440,00", "1440.00"),
        ("1,440.00", "1440.00"),
        ("1'234'567.85", "1234567.85"),
        ("1.234.567", "1234567"),
        ("CHF 1'440.00", "1440.00"),
        ("1440.– CHF", "1440.00"),
        ("Fr. 980.-", "980.00"),
        ("980", "980.00"),
        ("0.05", "0.05"),
        ("-120.00", "-120.00"),
        (1440, "1440.00"),
        (1440.5, "1440.50"),
        (1439.9999999999998, "1440.00"),  # a formula's result in a workbook
        (0.1 + 0.2, "0.30"),
        (Decimal("1440.00"), "1440.00"),
    ],
)
def test_swiss_amounts_in_every_writing(cell, amount):
    assert parse_amount(cell) == Decimal(amount)


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("1,440", "peut se lire de deux façons"),
        ("1.440", "peut se lire de deux façons"),
        ("1440.005", "plus de deux décimales"),
        (1440.005, "plus de deux décimales"),
        ("14,40,0", "n'est pas un montant"),
        ("1'44.00", "1'440.00"),
        ("mille francs", "n'est pas un montant"),
        ("1.440.00", "n'est pas un montant"),
        ("12.34,56", "n'est pas un montant"),
        ("1 440.50'", "n'est pas un montant"),
        ("1'440 50", "n'est pas un montant"),
        (True, "n'est pas un montant"),
        (float("nan"), "n'est pas un montant"),
    ],
)
def test_an_amount_that_could_be_misread_is_refused(cell, message):
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        parse_amount(cell)
    assert message in refused.value.messages[0]


def test_the_refusals_speak_german_too():
    with translation.override("de"), pytest.raises(ValidationError) as refused:
        parse_amount("1,440")
    assert "zwei Arten" in refused.value.messages[0]
    with translation.override("de"), pytest.raises(ValidationError) as refused:
        parse_day("32.12.2026")
    assert "31.12.2026" in refused.value.messages[0] and "Datum" in refused.value.messages[0]


@pytest.mark.parametrize("cell", [None, "", "   "])
def test_empty_cells_are_none(cell):
    assert parse_amount(cell) is None
    assert parse_day(cell) is None
    assert parse_phone(cell) == ""
    assert cell_text(cell) == ""
    assert parse_number(cell) is None


@pytest.mark.parametrize(
    ("cell", "day"),
    [
        ("31.12.2026", date(2026, 12, 31)),
        ("1.2.2026", date(2026, 2, 1)),
        ("31.12.26", date(2026, 12, 31)),
        ("2026-12-31", date(2026, 12, 31)),
        ("31/12/2026", date(2026, 12, 31)),
        (" 01.01.2027 ", date(2027, 1, 1)),
        (date(2026, 12, 31), date(2026, 12, 31)),
        (datetime(2026, 12, 31), date(2026, 12, 31)),
    ],
)
def test_days(cell, day):
    assert parse_day(cell) == day


@pytest.mark.parametrize(
    "cell", ["31.02.2026", "12/31/2026", "Dezember 2026", 46022, datetime(2026, 12, 31, 14, 30)]
)
def test_a_day_that_is_not_one_is_refused(cell):
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        parse_day(cell)
    assert "n'est pas une date" in refused.value.messages[0]


@pytest.mark.parametrize(
    "cell",
    [
        "031 511 49 49",
        "031/511.49.49",
        "(031) 511 49 49",
        "+41 31 511 49 49",
        "0041 31 511 49 49",
        "+41315114949",
        315114949,  # a spreadsheet's number: the leading 0 is lost
        41315114949,
    ],
)
def test_phone_numbers_in_any_writing(cell):
    assert parse_phone(cell) == "+41315114949"


@pytest.mark.parametrize("cell", ["511 49 49", "beim Empfang", "031 511 49 49 99 99"])
def test_a_phone_number_that_is_none_is_refused(cell):
    with translation.override("de"), pytest.raises(ValidationError) as refused:
        parse_phone(cell)
    assert "keine Telefonnummer" in refused.value.messages[0]


@pytest.mark.parametrize(
    ("cell", "kind"),
    [
        ("rental", LicenceKind.RENTAL),
        ("Miete", LicenceKind.RENTAL),
        ("location", LicenceKind.RENTAL),
        ("LOCATION", LicenceKind.RENTAL),
        ("Kauf", LicenceKind.PURCHASE),
        ("achat", LicenceKind.PURCHASE),
    ],
)
def test_choices_by_value_or_label_in_any_language(cell, kind):
    choices, aliases = LicenceKind.choices, {"Mietlizenz": LicenceKind.RENTAL}
    assert parse_choice(cell, choices, aliases=aliases, what="type") == kind
    assert parse_choice("Mietlizenz", choices, aliases=aliases, what="type") == kind.RENTAL


def test_an_unknown_choice_names_the_ones_that_are_known():
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        parse_choice("Gold", LicenceVariant.choices, what="variante")
    message = refused.value.messages[0]
    assert message.startswith("« Gold » n'est pas une valeur connue (variante)")
    assert message.endswith("le fichier peut indiquer : Standard, Advanced, Profi, Premium.")


def test_module_codes_and_persons():
    assert parse_codes("cofi, SAL; fac/LOG") == ["COFI", "SAL", "FAC", "LOG"]
    assert parse_codes(None) == []
    assert parse_persons("Anna Keller; Beat Zürcher\nClaire Dubois; ") == [
        "Anna Keller",
        "Beat Zürcher",
        "Claire Dubois",
    ]


def test_numbers_and_texts_from_a_workbook():
    assert parse_number(100234.0) == "100234"
    assert parse_number(" 100234 ") == "100234"
    assert cell_text(3011) == "3011"
    assert cell_text(12.0) == "12"
    assert cell_text("  Bahnhofstrasse ") == "Bahnhofstrasse"
    with pytest.raises(ValidationError):
        cell_text(date(2026, 1, 1))


@pytest.mark.parametrize("text", ["=SUM(A1)", "+41 31 511 49 49", "-3", "@home", "Müller"])
def test_an_exported_text_reads_back_as_it_was(text):
    assert unneutralise(neutralise(text)) == text
    assert unneutralise("'Tis") == "'Tis"


def test_record_types_and_headers_in_three_languages():
    assert record_of("Kunde") == record_of("client") == record_of("Customer") == Record.CUSTOMER
    assert record_of("Période de location") == record_of("Mietperiode") == Record.PERIOD
    assert record_of("Halbtax") == record_of("demi-tarif") == Record.HALF_FARE
    assert record_of("Support+") == Record.SUPPORT_PLUS
    assert record_of("Rechnung") is None
    with translation.override("de"), pytest.raises(ValidationError):
        parse_record("Rechnung")
    header = read_header(["Satzart", "Kunden-Nr.", "Firma", "PLZ", "Ort", "Bemerkung", None])
    assert header.columns == {
        "record": 0,
        "customer_number": 1,
        "name": 2,
        "postcode": 3,
        "city": 4,
    }
    assert header.unknown == ["Bemerkung"]
    french = read_header(["Type", "N° client", "Nom", "NPA", "Localité", "Loyer annuel"])
    assert set(french.columns) == {
        "record",
        "customer_number",
        "name",
        "postcode",
        "city",
        "annual_rent",
    }
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        read_header(["Kundennummer", "customer_number"])
    assert "deux fois" in refused.value.messages[0]


@pytest.mark.parametrize("cell", ["31.12.9999", "01.01.0001", "31.12.1989", date(2200, 1, 1)])
def test_a_day_out_of_the_desks_years_is_refused(cell):
    """A year typed wrong is refused with the bounds, not carried into a rental period the
    credit rules cannot count (year 10 000), nor shown as "01.01.1"."""
    with translation.override("de"), pytest.raises(ValidationError) as refused:
        parse_day(cell)
    assert refused.value.messages == ["Wählen Sie ein Datum zwischen 01.01.1990 und 31.12.2199."]
    assert parse_day("01.01.1990") == date(1990, 1, 1)
    assert parse_day("31.12.2199") == date(2199, 12, 31)
