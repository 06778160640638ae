"""Reading ERP files (issue 18): CSV in Windows-1252 or UTF-8 with French or German
headers, XLSX with one table or a sheet per record type; a file that cannot be read is
refused whole, before any row, with the reason in the user's language."""

import io
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from customers.erp.cells import parse_amount, parse_codes, parse_day, parse_phone
from customers.erp.columns import Record
from customers.erp.reading import read_erp_file

FILES = Path(__file__).parent / "files"


def read(name: str):
    return read_erp_file(content=(FILES / name).read_bytes(), name=name)


def test_a_french_export_in_windows_1252():
    content = (FILES / "erp_fr_windows1252.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")  # the file is what a Windows ERP writes, not UTF-8
    erp = read("erp_fr_windows1252.csv")
    assert (erp.format, erp.encoding) == ("csv", "windows-1252")
    assert [row.record for row in erp.rows] == [
        Record.CUSTOMER,
        Record.CONTACT,
        Record.LICENCE,
        Record.PERIOD,
        Record.HALF_FARE,
        Record.SUPPORT_PLUS,
        Record.CUSTOMER,
        Record.LICENCE,
        Record.PERIOD,
    ]
    assert [row.line for row in erp.rows] == list(range(2, 11))
    dubois, helene, licence, period, *_rest = erp.rows
    assert dubois.cells["name"] == "Fiduciaire Dubois Sàrl"
    assert dubois.cells["city"] == "Genève" and dubois.cells["street"] == "Rue du Rhône"
    assert parse_phone(dubois.cells["phone"]) == "+41223104567"
    assert helene.cells["name"] == "Hélène Dubois" and helene.cells["role"] == "Gérante"
    assert parse_codes(licence.cells["modules"]) == ["COFI", "FAC", "SAL"]
    assert str(parse_amount(period.cells["annual_rent"])) == "2280.00"
    assert parse_day(period.cells["end"]).isoformat() == "2026-12-31"
    assert str(parse_amount(erp.rows[-1].cells["annual_rent"])) == "980.00"
    assert erp.rows[6].cells["name"] == "Schreinerei Bärtschi GmbH"
    assert erp.unknown_columns == ["Remarque"]
    assert all(not row.problem for row in erp.rows)


def test_a_german_export_in_utf_8_with_commas():
    erp = read("erp_de_utf8_bom.csv")
    assert (erp.format, erp.encoding) == ("csv", "utf-8")
    assert [row.record for row in erp.rows] == [
        Record.CUSTOMER,
        Record.CONTACT,
        Record.LICENCE,
        Record.PERIOD,
        Record.HALF_FARE,
        Record.SUPPORT_PLUS,
    ]
    customer, anna, licence, period, half_fare, support_plus = erp.rows
    assert customer.cells["record"] == "Kunde"  # the BOM is not part of the first header
    assert customer.cells["name"] == "Müller Treuhand AG" and customer.cells["city"] == "Zürich"
    assert parse_codes(licence.cells["modules"]) == ["COFI", "SAL"]
    assert str(parse_amount(period.cells["annual_rent"])) == "1440.00"
    assert parse_day(half_fare.cells["start"]).isoformat() == "2026-01-01"
    assert support_plus.cells["persons"] == "Anna Müller"
    assert parse_phone(anna.cells["phone"]) == "+41442112234"
    assert erp.unknown_columns == []


def test_the_same_file_in_utf_8_without_bom_and_with_tabs():
    text = (FILES / "erp_fr_windows1252.csv").read_bytes().decode("windows-1252")
    tabbed = text.replace('"COFI; FAC; SAL"', "COFI FAC SAL").replace(";", "\t")
    erp = read_erp_file(content=tabbed.encode("utf-8"), name="export.txt")
    assert erp.encoding == "utf-8"
    assert len(erp.rows) == 9 and erp.rows[0].cells["city"] == "Genève"
    assert parse_codes(erp.rows[2].cells["modules"]) == ["COFI", "FAC", "SAL"]


def workbook(*sheets: tuple[str, list[list]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_workbook_keeps_its_numbers_and_dates():
    content = workbook(
        (
            "Export",
            [
                ["record", "customer_number", "name", "postcode", "phone", "start", "end"],
                [],
                ["customer", 100501, "Müller Treuhand AG", 8001, 442112233, None, None],
                ["half_fare", 100501, None, None, None, datetime(2026, 1, 1), "31.12.2026"],
            ],
        )
    )
    erp = read_erp_file(content=content, name="Export.xlsx")
    assert (erp.format, erp.encoding) == ("xlsx", "")
    customer, half_fare = erp.rows
    assert customer.line == 3 and customer.sheet == "Export"  # the empty row is skipped
    assert customer.cells["customer_number"] == 100501 and customer.cells["postcode"] == 8001
    assert parse_phone(customer.cells["phone"]) == "+41442112233"
    assert parse_day(half_fare.cells["start"]).isoformat() == "2026-01-01"
    assert parse_day(half_fare.cells["end"]).isoformat() == "2026-12-31"


def test_a_workbook_with_a_sheet_per_record_type():
    content = workbook(
        ("Kunde", [["Kundennummer", "Firma"], [100501, "Müller Treuhand AG"]]),
        ("Lizenz", [["Kundennummer", "Lizenznummer", "Variante"], [100501, "L-5001", "Profi"]]),
        (
            "Mietperiode",
            [["Kundennummer", "Lizenznummer", "Jahresmiete"], [100501, "L-5001", 1440]],
        ),
        ("Leer", [[None], [None]]),
    )
    erp = read_erp_file(content=content, name="erp.xlsx")
    assert [(row.sheet, row.record, row.line) for row in erp.rows] == [
        ("Kunde", Record.CUSTOMER, 2),
        ("Lizenz", Record.LICENCE, 2),
        ("Mietperiode", Record.PERIOD, 2),
    ]


def test_a_row_of_no_known_type_is_kept_to_be_reported():
    content = b"Satzart;Kundennummer\nKunde;100501\nRechnung;100501\n;100501\n"
    with translation.override("de"):
        erp = read_erp_file(content=content, name="erp.csv")
    kept, unknown, untyped = erp.rows
    assert kept.record == Record.CUSTOMER and not kept.problem
    assert unknown.record is None and unknown.line == 3
    assert unknown.problem.startswith("«Rechnung» ist kein bekannter Wert (Satzart)")
    assert untyped.record is None and untyped.problem == "Die Zeile gibt ihre Satzart nicht an."


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"Nom;NPA\nDubois;1204\n", "a.csv", "pas de colonne pour le numéro de client"),
        ("N° client;Nom\n100502;Dubois\n".encode(), "a.csv", "type d'enregistrement"),
        ("Type;N° client\n".encode(), "a.csv", "aucune ligne"),
        (b"", "a.csv", "aucune ligne"),
        (b"PK\x03\x04 not really a zip", "a.xlsx", "classeur Excel"),
        (b"\xd0\xcf\x11\xe0 an old .xls", "a.xls", "classeur Excel"),
        (b"Type;N\x00 client\n", "a.csv", "pas un fichier CSV"),
        (b"\xef\xbb\xbfType;N\xb0 client\n", "a.csv", "pas un texte UTF-8"),
        ("Type;N° client;Kundennummer\nClient;1;2\n".encode(), "a.csv", "deux fois"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(content, name, message):
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        read_erp_file(content=content, name=name)
    assert message in refused.value.messages[0]


def test_a_sheet_that_says_nothing_of_its_rows_refuses_the_workbook():
    content = workbook(
        ("Kunde", [["Kundennummer", "Firma"], [100501, "Müller Treuhand AG"]]),
        ("Notizen", [["Kundennummer", "Text"], [100501, "ruft oft an"]]),
    )
    with translation.override("de"), pytest.raises(ValidationError) as refused:
        read_erp_file(content=content, name="erp.xlsx")
    assert refused.value.messages == [
        "Das Blatt «Notizen» hat keine Spalte für die Satzart, und sein Name ist keine Satzart."
    ]


def test_size_and_row_limits(monkeypatch):
    from customers.erp import reading

    monkeypatch.setattr(reading, "MAX_ROWS", 2)
    rows = "Type;N° client\n" + "Client;1\n" * 3
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        read_erp_file(content=rows.encode(), name="a.csv")
    assert refused.value.messages == ["Le fichier a plus de 2 lignes."]
    monkeypatch.setattr(reading, "MAX_BYTES", 10)
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        read_erp_file(content=rows.encode(), name="a.csv")
    assert "dépasse" in refused.value.messages[0]


def test_workbooks_are_parsed_by_defusedxml():
    """An uploaded workbook is untrusted XML: openpyxl parses it through defusedxml (a
    dependency of the project) against entity bombs."""
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True


def test_the_separator_is_the_one_the_header_uses_most():
    content = 'Type;N° client;"Nom, prénom";NPA\nClient;100502;Dubois;1204\n'.encode()
    erp = read_erp_file(content=content, name="a.csv")
    assert erp.rows[0].cells["customer_number"] == "100502"
    assert erp.unknown_columns == ["Nom, prénom"]


def test_a_quote_never_closed_is_a_clear_refusal():
    content = b'Type;N\xc2\xb0 client;Nom\nClient;100502;"Dubois' + b"x" * 140_000 + b"\n"
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        read_erp_file(content=content, name="a.csv")
    assert refused.value.messages[0].startswith("Le fichier n'est pas un fichier CSV lisible")


def test_a_workbook_that_unpacks_too_large_is_refused(monkeypatch):
    from customers.erp import reading

    content = workbook(("Kunde", [["Kundennummer", "Firma"], [100501, "Müller"]]))
    monkeypatch.setattr(reading, "MAX_UNZIPPED", 1000)
    with translation.override("de"), pytest.raises(ValidationError) as refused:
        read_erp_file(content=content, name="erp.xlsx")
    assert refused.value.messages == ["Die Datei ist keine lesbare Excel-Arbeitsmappe (.xlsx)."]
