"""The customer base written as an ERP file (issue 18): the layout the import reads, so
that exporting and importing again changes nothing, in CSV and XLSX, with French, German
and English headers; a fixed number of queries whatever the number of customers."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.erp.columns import read_header
from customers.erp.outcomes import Outcome
from customers.erp.reading import read_erp_file
from customers.erp.writing import HEADERS, KEYS, erp_export
from customers.models import Licence
from customers.services import contact_create, erp_import
from tests.customers.erp.test_import import FRENCH, GERMAN, table_sizes
from tests.factories import rental_customer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["fr", "de", "en"])
def test_every_header_reads_back_as_its_column(language):
    header = read_header([HEADERS[key][language] for key in KEYS])
    assert header.columns == {key: index for index, key in enumerate(KEYS)}
    assert header.unknown == []


@pytest.mark.parametrize(
    ("fmt", "language"), [("csv", "fr"), ("csv", "de"), ("xlsx", "fr"), ("xlsx", "en")]
)
def test_export_then_import_changes_nothing(fmt, language):
    erp_import(content=FRENCH, name="clients.csv")
    erp_import(content=GERMAN, name="kunden.csv")
    before = table_sizes()
    export = erp_export(fmt=fmt, language=language)
    assert (export.customers, export.rows, export.unnumbered) == (3, 15, 0)
    report = erp_import(content=export.content, name=f"erp.{fmt}")
    assert report.format == fmt and report.unknown_columns == []
    assert {line.outcome for line in report.lines} == {Outcome.UNCHANGED}, [
        (line.row.line, line.key, line.outcome, line.message, line.changes) for line in report.lines
    ]
    assert len(report.lines) == 15
    assert table_sizes() == before


def test_the_csv_is_what_swiss_excel_opens():
    erp_import(content=GERMAN, name="kunden.csv")
    content = erp_export(fmt="csv", language="de").content
    assert content.startswith(b"\xef\xbb\xbf")
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Satzart;Kundennummer;Name;Strasse;Hausnummer;PLZ;Ort")
    assert lines[1].startswith(
        "Kunde;100501;Müller Treuhand AG;Bahnhofstrasse;12;8001;Zürich;CH;de;"
    )
    assert "+41 44 211 22 33" in lines[1]
    assert "Mietperiode;100501;" in lines[4] and ";01.01.2026;31.12.2026;1440.00;" in lines[4]
    assert lines[6].endswith(";01.01.2026;31.12.2026;;Anna Müller")


def test_a_licence_without_its_erp_number_is_left_out_and_counted(tmp_path):
    customer = rental_customer(number="10001", name="Bürgi Elektro GmbH")
    contact_create(customer=customer, name="=cmd|' /C calc'!A0")  # a formula stays text
    assert Licence.objects.filter(number__isnull=True).count() == 1
    export = erp_export(fmt="csv", language="fr")
    assert (export.customers, export.rows, export.unnumbered) == (1, 2, 1)
    rows = read_erp_file(content=export.content, name="erp.csv").rows
    assert rows[1].cells["name"] == "'=cmd|' /C calc'!A0"
    assert {line.outcome for line in erp_import(content=export.content).lines} == {
        Outcome.UNCHANGED
    }
    path = tmp_path / "erp.xlsx"
    out = io.StringIO()
    call_command("export_customers", str(path), "--language", "de", stdout=out)
    assert out.getvalue().splitlines() == [
        f"1 Kunden, 2 Zeilen in {path} geschrieben.",
        "1 Lizenzen ohne ERP-Lizenznummer sind ausgelassen: Erfassen Sie ihre Nummer im Admin.",
    ]
    assert read_erp_file(content=path.read_bytes(), name="erp.xlsx").format == "xlsx"


@pytest.mark.parametrize("customers", [1, 20])
def test_the_export_reads_a_fixed_number_of_queries(customers):
    """Every kind of row, for each customer: contacts, numbered licences with modules and
    periods, half-fare, Support+ with its registered persons."""
    from decimal import Decimal

    from customers.models import Licence
    from tests.factories import ContactFactory, HalfFareFactory, support_plus

    for n in range(customers):
        customer = rental_customer(
            number=f"{20001 + n}", name=f"Kunde {n}", variant="premium", rent=Decimal("2400.00")
        )
        Licence.objects.filter(customer=customer).update(number=f"L-{20001 + n}")
        persons = [ContactFactory(customer=customer) for _ in range(2)]
        HalfFareFactory(customer=customer)
        support_plus(customer, persons)
    with CaptureQueriesContext(connection) as queries:
        export = erp_export(fmt="csv")
    assert export.rows == 7 * customers  # customer, 2 contacts, licence, period, HT, S+
    # Customers, contacts, licences, modules, periods, half-fare, Support+, its persons.
    assert len(queries) == 8, [q["sql"][:80] for q in queries.captured_queries]
