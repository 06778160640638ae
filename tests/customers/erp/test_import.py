"""Loading the customer base from an ERP file (issue 18): every row goes through the desk's
services, so the credit of the support concept appears with the rental periods; a dry run
writes nothing; importing the same file again changes nothing; a change the rules refuse
is reported with its reason and leaves its customer as it was (one transaction per
customer), while the other customers are applied."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.apps import apps
from django.utils import translation

from billing.selectors import credit_balance
from customers.erp.outcomes import Outcome
from customers.models import (
    Customer,
    HalfFareSubscription,
    Licence,
    RentalPeriod,
    SupportPlusSubscription,
)
from customers.selectors import support_status
from customers.services import erp_import
from tests.factories import make_usage, rental_customer

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "files"
FRENCH = (FILES / "erp_fr_windows1252.csv").read_bytes()
GERMAN = (FILES / "erp_de_utf8_bom.csv").read_bytes()


def german(text: str) -> bytes:
    """The German test file with ``text`` in place of the file's own rows (header kept)."""
    header = GERMAN.decode("utf-8-sig").split("\r\n", 1)[0]
    return ("\ufeff" + header + "\r\n" + text.strip().replace("\n", "\r\n") + "\r\n").encode()


def outcomes(report) -> list[tuple[int, str, str]]:
    return [(line.row.line, line.record, line.outcome) for line in report.lines]


def table_sizes() -> dict[str, int]:
    """Rows of every table of the customers and billing apps, their history included."""
    return {
        model._meta.label: model._default_manager.count()
        for app in ("customers", "billing")
        for model in apps.get_app_config(app).get_models()
    }


def test_the_french_file_loads_its_customers_with_their_credit():
    with translation.override("fr"):
        report = erp_import(content=FRENCH, name="clients.csv")
    assert report.counts[Outcome.NEW] == 9 and not report.refused, report.lines
    assert (report.format, report.encoding) == ("csv", "windows-1252")
    dubois = Customer.objects.get(number="100502")
    assert (dubois.name, dubois.city, dubois.language) == ("Fiduciaire Dubois Sàrl", "Genève", "fr")
    assert dubois.phone.as_e164 == "+41223104567"
    helene = dubois.contacts.get()
    assert (helene.name, helene.role, helene.phone.as_e164) == (
        "Hélène Dubois",
        "Gérante",
        "+41795551234",
    )
    licence = Licence.objects.get(number="L-5002")
    assert (licence.customer, licence.variant, licence.kind) == (dubois, "premium", "rental")
    assert sorted(m.code for m in licence.modules.all()) == ["COFI", "FAC", "SAL"]
    period = RentalPeriod.objects.get(licence=licence)
    assert (period.start, period.end, period.annual_rent) == (
        date(2026, 1, 1),
        date(2026, 12, 31),
        Decimal("2280.00"),
    )
    status = support_status(customer=dubois, on=date(2026, 3, 2))
    assert status.eligible and status.half_fare is not None and status.support_plus is not None
    assert list(status.support_plus.registered.all()) == [helene]
    # R3 and R7: premium with three main modules, 35 min; Support+, 120 more.
    assert credit_balance(customer=dubois, on=date(2026, 3, 2)).granted == 35 + 120
    # Standard with one main module, from July: 5 min.
    baertschi = Customer.objects.get(number="100503")
    assert baertschi.name == "Schreinerei Bärtschi GmbH" and baertschi.language == "de"
    assert credit_balance(customer=baertschi, on=date(2026, 7, 1)).granted == 5
    assert not support_status(customer=baertschi, on=date(2026, 6, 30)).eligible


def test_a_dry_run_reports_every_row_and_writes_nothing():
    before = table_sizes()
    with translation.override("de"):
        report = erp_import(content=GERMAN, name="kunden.csv", dry_run=True)
    assert report.dry_run
    assert outcomes(report) == [
        (2, "customer", "new"),
        (3, "contact", "new"),
        (4, "licence", "new"),
        (5, "period", "new"),
        (6, "half_fare", "new"),
        (7, "support_plus", "new"),
    ]
    # A new row lists what it brings, in the report's language and the Swiss writing.
    customer, _contact, licence, period, _half_fare, support_plus = report.lines
    assert ("Ort", "", "Zürich") in customer.changes
    assert ("Telefon", "", "+41442112233") in customer.changes
    assert licence.changes == [
        ("Art", "", "Miete"),
        ("Variante", "", "Profi"),
        ("Module", "", "COFI, SAL"),
    ]
    assert ("Jahresmiete (CHF)", "", "1'440.00") in period.changes
    assert ("Ende", "", "31.12.2026") in period.changes
    assert ("registrierte Personen", "", "Anna Müller") in support_plus.changes
    assert table_sizes() == before
    assert not Customer.objects.filter(number="100501").exists()


def test_importing_the_same_file_again_changes_nothing():
    erp_import(content=GERMAN, name="kunden.csv")
    muller = Customer.objects.get(number="100501")
    # Profi with COFI and Salaires (two main modules): 25 min; Support+: 120 more.
    assert credit_balance(customer=muller, on=date(2026, 3, 2)).granted == 25 + 120
    before = table_sizes()
    again = erp_import(content=GERMAN, name="kunden.csv")
    assert [outcome for _line, _record, outcome in outcomes(again)] == ["unchanged"] * 6
    assert all(not line.changes for line in again.lines)
    assert table_sizes() == before


def test_a_changed_row_is_shown_old_to_new_and_applied_through_the_services():
    erp_import(content=GERMAN, name="kunden.csv")
    changed = (
        GERMAN.decode("utf-8-sig").replace('"1\'440.00"', "1680,00").replace(",Profi,", ",Premium,")
    )
    changed = changed.replace("Bahnhofstrasse,12,8001", "Seestrasse,3,8002")
    with translation.override("de"):
        dry = erp_import(content=changed.encode(), name="kunden.csv", dry_run=True)
    by_record = {line.record: line for line in dry.lines}
    assert by_record["customer"].outcome == Outcome.CHANGED
    assert by_record["customer"].changes == [
        ("Strasse", "Bahnhofstrasse", "Seestrasse"),
        ("Hausnummer", "12", "3"),
        ("PLZ", "8001", "8002"),
    ]
    assert by_record["licence"].changes == [("Variante", "Profi", "Premium")]
    assert by_record["period"].changes == [("Jahresmiete (CHF)", "1'440.00", "1'680.00")]
    assert by_record["contact"].outcome == Outcome.UNCHANGED
    assert Customer.objects.get(number="100501").postcode == "8001"  # a dry run
    erp_import(content=changed.encode(), name="kunden.csv")
    muller = Customer.objects.get(number="100501")
    assert (muller.street, muller.postcode) == ("Seestrasse", "8002")
    assert RentalPeriod.objects.get(licence__number="L-5001").annual_rent == Decimal("1680.00")
    # Premium with two main modules: 35 min, the grant derived again by the ledger.
    assert credit_balance(customer=muller, on=date(2026, 3, 2)).granted == 35 + 120


def test_a_change_that_takes_back_used_credit_is_refused_and_its_customer_kept():
    erp_import(content=FRENCH, name="clients.csv")
    baertschi = Customer.objects.get(number="100503")
    make_usage(baertschi, 5, on=date(2026, 8, 14))  # the credit of the period, used in August
    text = FRENCH.decode("windows-1252")
    shortened = text.replace("01.07.2026;30.06.2027", "01.07.2026;31.07.2026")
    shortened += "Contact;100503;Ruth Bärtschi\r\n"  # a short row: the cells after are empty
    with translation.override("de"):
        report = erp_import(content=shortened.encode("windows-1252"), name="clients.csv")
    lines = {(line.record, line.key): line for line in report.lines}
    period = lines[("period", "L-5003 01.07.2026")]
    assert period.outcome == Outcome.REFUSED
    assert "14.08.2026" in period.message, period.message
    contact = lines[("contact", "Ruth Bärtschi")]
    assert contact.outcome == Outcome.NOT_APPLIED
    assert contact.message == (
        "Nicht übernommen: Eine andere Zeile des Kunden 100503 wurde abgelehnt."
    )
    assert RentalPeriod.objects.get(licence__number="L-5003").end == date(2027, 6, 30)
    assert not baertschi.contacts.exists()
    assert {line.outcome for line in report.lines if line.key.startswith("L-5002")} == {
        Outcome.UNCHANGED
    }


def test_a_period_a_support_plus_subscription_needs_is_refused():
    erp_import(content=GERMAN, name="kunden.csv")
    shortened = GERMAN.decode("utf-8-sig").replace(
        '01.01.2026,31.12.2026,"1\'440.00"', '01.01.2026,31.05.2026,"1\'440.00"'
    )
    with translation.override("fr"):
        report = erp_import(content=shortened.encode(), name="kunden.csv")
    (refused,) = report.refused
    assert refused.record == "period" and "Support+" in refused.message
    assert RentalPeriod.objects.get(licence__number="L-5001").end == date(2026, 12, 31)


def test_support_plus_is_refused_on_a_standard_licence():
    rows = german(
        """
Kunde,100505,Bäckerei Zaugg,Dorfstrasse,7,3400,Burgdorf,CH,Deutsch,,,,,,,,,,,
Kontakt,100505,Ruth Zaugg,,,,,,,,,,,,,,,,,
Lizenz,100505,,,,,,,,,,,L-5005,Miete,Standard,COFI,,,,
Mietperiode,100505,,,,,,,,,,,L-5005,,,,01.01.2026,31.12.2026,480.00,
Support+,100505,,,,,,,,,,,,,,,01.01.2026,31.12.2026,,Ruth Zaugg
"""
    )
    with translation.override("fr"):
        report = erp_import(content=rows, name="kunden.csv")
    refused = report.refused
    assert [line.record for line in refused] == ["support_plus"]
    assert refused[0].message == (
        "Support+ est réservé aux clients ayant une licence de location profi ou premium"
        " en cours le 01.01.2026."
    )
    assert {line.outcome for line in report.lines[:4]} == {Outcome.NOT_APPLIED}
    assert not Customer.objects.filter(number="100505").exists()
    assert not SupportPlusSubscription.objects.exists()


def test_rows_that_cannot_be_read_are_reported_not_skipped():
    rows = german(
        """
Kunde,100506,Velo Kuhn,Hauptgasse,2,4500,Solothurn,CH,Deutsch,,,,,,,,,,,
Lizenz,100506,,,,,,,,,,,L-5006,Miete,Gold,COFI,,,,
Mietperiode,100506,,,,,,,,,,,L-5006,,,,01.01.2026,31.12.2026,"1,440",
Rechnung,100506,,,,,,,,,,,,,,,,,,
Halbtax,,,,,,,,,,,,,,,,01.01.2026,31.12.2026,,
Kunde,100507,Malerei Frei,Ringstrasse,4,4600,Olten,CH,Deutsch,,,,,,,,,,,
Kunde,100507,Malerei Frei GmbH,Ringstrasse,4,4600,Olten,CH,Deutsch,,,,,,,,,,,
"""
    )
    with translation.override("de"):
        report = erp_import(content=rows, name="kunden.csv")
    messages = {line.row.line: (line.outcome, line.message) for line in report.lines}
    assert messages[2] == (
        Outcome.NOT_APPLIED,
        "Nicht übernommen: Eine andere Zeile des Kunden 100506 wurde abgelehnt.",
    )
    assert messages[3][0] == Outcome.REFUSED and messages[3][1].startswith("«Gold» ist kein")
    assert messages[4][0] == Outcome.REFUSED and "zwei Arten" in messages[4][1]
    assert messages[5][0] == Outcome.REFUSED and "Satzart" in messages[5][1]
    assert messages[6] == (Outcome.REFUSED, "Die Zeile lässt leer: Kundennummer.")
    assert messages[7][0] == Outcome.NOT_APPLIED
    assert messages[8] == (Outcome.REFUSED, "Kunde 100507 steht zweimal in der Datei.")
    assert not Customer.objects.filter(number__in=["100506", "100507"]).exists()
    assert len(report.refused) == 5


def test_a_licence_of_another_customer_and_a_period_without_licence_are_refused():
    erp_import(content=GERMAN, name="kunden.csv")
    rows = german(
        """
Kunde,100508,Holzbau Graf,Waldweg,1,3800,Interlaken,CH,Deutsch,,,,,,,,,,,
Lizenz,100508,,,,,,,,,,,L-5001,Miete,Profi,COFI,,,,
Mietperiode,100508,,,,,,,,,,,L-9999,,,,01.01.2026,31.12.2026,900.00,
"""
    )
    with translation.override("fr"):
        report = erp_import(content=rows, name="kunden.csv")
    assert report.lines[1].message == "La licence L-5001 appartient au client 100501."
    assert report.lines[2].message == (
        "La licence L-9999 du client 100508 ne figure ni dans l'assistance ni dans le fichier."
    )
    assert Licence.objects.get(number="L-5001").customer.number == "100501"
    assert not HalfFareSubscription.objects.filter(customer__number="100508").exists()


def test_the_command_line_import(tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "kunden.csv"
    path.write_bytes(GERMAN)
    out = io.StringIO()
    call_command("import_customers", str(path), "--dry-run", "--language", "de", stdout=out)
    assert "Kunde 100501 – neu" in out.getvalue()
    assert "Probelauf, nichts geschrieben: neu 6" in out.getvalue()
    assert not Customer.objects.exists()
    call_command("import_customers", str(path), stdout=io.StringIO())
    assert Customer.objects.get(number="100501").licences.get().number == "L-5001"
    path.write_bytes(GERMAN.replace(b",Profi,", b",Gold,"))
    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import_customers", str(path), "--language", "de", stdout=out)
    assert refused.value.returncode == 2
    assert str(refused.value) == (
        "Zeilen oder Dateien wurden abgelehnt: von ihren Kunden wurde nichts geschrieben."
    )
    assert "Lizenz L-5001 – abgelehnt «Gold» ist kein bekannter Wert" in out.getvalue()


def test_the_command_line_export_to_a_place_it_cannot_write(tmp_path):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError) as refused:
        call_command("export_customers", str(tmp_path / "fehlt" / "kunden.csv"))
    assert str(refused.value).endswith("kunden.csv: No such file or directory")


def test_rows_of_a_customer_the_desk_does_not_know_need_its_customer_row():
    rows = german(
        """
Lizenz,100509,,,,,,,,,,,L-5009,Miete,Profi,COFI,,,,
Mietperiode,100509,,,,,,,,,,,L-5009,,,,01.01.2026,31.12.2026,900.00,
"""
    )
    with translation.override("fr"):
        report = erp_import(content=rows, name="kunden.csv", dry_run=True)
    assert {line.message for line in report.lines} == {
        "Le client 100509 ne figure ni dans l'assistance ni dans le fichier (une ligne client)."
    }
    assert {line.outcome for line in report.lines} == {Outcome.REFUSED}


def test_a_workbook_with_a_sheet_per_record_type_imports_as_its_csv():
    book = openpyxl.Workbook()
    book.remove(book.active)
    rows = list(csv.reader(io.StringIO(GERMAN.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    for record in ("Kunde", "Kontakt", "Lizenz", "Mietperiode", "Halbtax", "Support+"):
        sheet = book.create_sheet(record)
        sheet.append(header[1:])  # no record column: the sheet's name says it
        for row in body:
            if row[0] == record:
                sheet.append([_typed(cell) for cell in row[1:]])
    out = io.BytesIO()
    book.save(out)
    report = erp_import(content=out.getvalue(), name="kunden.xlsx")
    assert report.format == "xlsx"
    assert [line.outcome for line in report.lines] == [Outcome.NEW] * 6, report.lines
    again = erp_import(content=GERMAN, name="kunden.csv")
    assert [line.outcome for line in again.lines] == [Outcome.UNCHANGED] * 6


def _typed(cell: str):
    """A cell as a spreadsheet keeps it: numbers as numbers, days as dates."""
    if cell.isdigit():
        return int(cell)
    if len(cell) == 10 and cell[2] == "." and cell[5] == ".":
        return datetime.strptime(cell, "%d.%m.%Y")
    return cell or None


def test_a_column_the_file_does_not_have_keeps_what_is_saved():
    erp_import(content=GERMAN, name="kunden.csv")
    before = table_sizes()
    slim = "Satzart;Kundennummer;Firma;Sprache\r\nKunde;100501;Müller Treuhand AG;\r\n"
    slim += "Kontakt;100501;Anna Müller;\r\n"
    report = erp_import(content=slim.encode(), name="kunden.csv")
    assert [line.outcome for line in report.lines] == [Outcome.UNCHANGED] * 2, report.lines
    muller = Customer.objects.get(number="100501")
    assert (muller.language, muller.city, muller.phone.as_e164) == ("de", "Zürich", "+41442112233")
    assert muller.contacts.get().email == "anna@mueller-treuhand.example"
    assert table_sizes() == before
    # A column the file has, left empty, empties the field (the e-mail is gone in the ERP).
    emptied = "Satzart;Kundennummer;Firma;E-Mail\r\nKunde;100501;Müller Treuhand AG;\r\n"
    report = erp_import(content=emptied.encode(), name="kunden.csv")
    ((_field, old, new),) = report.lines[0].changes
    assert (report.lines[0].outcome, old, new) == (
        Outcome.CHANGED,
        "info@mueller-treuhand.example",
        "",
    )
    assert Customer.objects.get(number="100501").email == ""


def test_a_licence_is_not_entered_twice_beside_one_the_desk_has_without_its_number():
    customer = rental_customer(number="10001", name="Bürgi Elektro GmbH")
    rows = "Satzart;Kundennummer;Lizenznummer;Lizenzart;Variante;Module\r\n"
    rows += "Lizenz;10001;L-7001;Miete;Profi;COFI\r\n"
    with translation.override("de"):
        report = erp_import(content=rows.encode(), name="kunden.csv", dry_run=True)
    (line,) = report.lines
    assert line.outcome == Outcome.REFUSED
    assert line.message.startswith("Der Kunde 10001 hat im Support Lizenzen ohne ERP-Lizenznummer")
    customer.licences.update(number="L-7001")  # numbered: the row now names that licence
    with translation.override("de"):
        again = erp_import(content=rows.encode(), name="kunden.csv")
    assert again.lines[0].outcome == Outcome.CHANGED
    assert again.lines[0].changes == [("Variante", "Standard", "Profi")]
    assert customer.licences.get().variant == "profi"


def test_one_licence_number_for_two_customers_in_the_file_is_refused_for_both():
    rows = german(
        """
Kunde,100510,Atelier Roth,Gasse,1,3000,Bern,CH,Deutsch,,,,,,,,,,,
Lizenz,100510,,,,,,,,,,,L-5010,Miete,Profi,COFI,,,,
Kunde,100511,Atelier Rot,Gasse,2,3000,Bern,CH,Deutsch,,,,,,,,,,,
Lizenz,100511,,,,,,,,,,,L-5010,Miete,Profi,COFI,,,,
"""
    )
    with translation.override("fr"):
        report = erp_import(content=rows, name="kunden.csv", dry_run=True)
    licences = [line for line in report.lines if line.record == "licence"]
    assert [line.outcome for line in licences] == [Outcome.REFUSED, Outcome.REFUSED]
    assert licences[0].message == (
        "La licence L-5010 est attribuée à plusieurs clients dans le fichier : 100510, 100511."
    )


def test_two_contacts_of_one_name_go_round_the_export():
    from customers.erp.writing import erp_export
    from customers.services import contact_create

    erp_import(content=GERMAN, name="kunden.csv")
    muller = Customer.objects.get(number="100501")
    contact_create(customer=muller, name="Anna Müller", email="anna.senior@mueller.example")
    before = table_sizes()
    export = erp_export(fmt="csv", language="de")
    report = erp_import(content=export.content, name="erp.csv")
    assert {line.outcome for line in report.lines} == {Outcome.UNCHANGED}, [
        (line.key, line.outcome, line.message) for line in report.lines
    ]
    assert table_sizes() == before


def test_a_fault_in_one_customer_leaves_it_as_it_was_and_the_others_go_on(monkeypatch):
    from customers.erp import applying

    real = applying.customer_create

    def failing(**fields):
        if fields["number"] == "100502":
            raise RuntimeError("disk full")
        return real(**fields)

    monkeypatch.setattr(applying, "customer_create", failing)
    with translation.override("fr"):
        report = erp_import(content=FRENCH, name="clients.csv")
    dubois = [line for line in report.lines if line.customer == "100502"]
    assert {line.outcome for line in dubois} == {Outcome.REFUSED}
    assert (
        dubois[0].message == "Le client 100502 n'a pas pu être importé : l'erreur est journalisée."
    )
    assert not Customer.objects.filter(number="100502").exists()
    assert Customer.objects.filter(number="100503").exists()


def test_cells_beyond_the_header_refuse_their_row_and_its_customer():
    """A separator inside a cell left unquoted (two persons written "A; B" in a CSV with
    ";") pushes cells past the header: the row is refused, and its customer with it,
    rather than read with a person silently left out."""
    text = FRENCH.decode("windows-1252")
    spilled = text.replace(
        "Support+;100502;;;;;;;;;;;;;;;01.01.2026;31.12.2026;;Hélène Dubois;",
        "Support+;100502;;;;;;;;;;;;;;;01.01.2026;31.12.2026;;Hélène Dubois;;Marc Dubois",
    )
    assert spilled != text
    with translation.override("fr"):
        report = erp_import(content=spilled.encode("windows-1252"), name="clients.csv")
    refused = [line for line in report.lines if line.outcome == Outcome.REFUSED]
    assert [(line.row.line, line.customer) for line in refused] == [(7, "100502")]
    assert refused[0].message.startswith(
        "La ligne a des cellules au-delà de la dernière colonne de l'en-tête"
    )
    assert not Customer.objects.filter(number="100502").exists()
    assert Customer.objects.filter(number="100503").exists()  # the others go on


def test_more_registered_persons_need_half_fare_by_file_too():
    """R7: persons after the first need a half-fare subscription for the whole term."""
    rows = german(
        """
Kunde,100506,Treuhand Graf AG,Marktgasse,3,3011,Bern,CH,Deutsch,,,,,,,,,,,
Kontakt,100506,Eva Graf,,,,,,,,,,,,,,,,,
Kontakt,100506,Max Graf,,,,,,,,,,,,,,,,,
Lizenz,100506,,,,,,,,,,,L-5006,Miete,Premium,COFI,,,,
Mietperiode,100506,,,,,,,,,,,L-5006,,,,01.01.2026,31.12.2026,2400.00,
Support+,100506,,,,,,,,,,,,,,,01.01.2026,31.12.2026,,Eva Graf; Max Graf
"""
    ).replace(b"Eva Graf; Max Graf", b'"Eva Graf; Max Graf"')
    with translation.override("en"):
        report = erp_import(content=rows, name="kunden.csv")
    (refused,) = report.refused
    assert refused.record == "support_plus"
    assert refused.message.startswith("Additional registered persons require an active half-fare")
    assert not Customer.objects.filter(number="100506").exists()
    with_half_fare = rows.replace(
        b"Support+,100506",
        b"Halbtax,100506,,,,,,,,,,,,,,,01.01.2026,31.12.2026,,\r\nSupport+,100506",
    )
    report = erp_import(content=with_half_fare, name="kunden.csv")
    assert report.refused == []
    registered = SupportPlusSubscription.objects.get(customer__number="100506").registrations
    assert sorted(registered.values_list("contact__name", flat=True)) == ["Eva Graf", "Max Graf"]


def test_a_downgrade_under_a_running_support_plus_is_refused_and_a_longer_term_too():
    """R7 holds for a saved customer changed by file: a profi licence under Support+ may
    not become standard, and a subscription's term may not be made longer."""
    erp_import(content=GERMAN, name="kunden.csv")
    text = GERMAN.decode("utf-8-sig")
    downgraded = text.replace('L-5001,Miete,Profi,"COFI, SAL"', 'L-5001,Miete,Standard,"COFI, SAL"')
    with translation.override("en"):
        report = erp_import(content=downgraded.encode(), name="kunden.csv")
    (refused,) = report.refused
    assert refused.record == "licence" and "Support+" in refused.message
    assert Licence.objects.get(number="L-5001").variant == "profi"
    longer = text.replace(
        "Support+,100501,,,,,,,,,,,,,,,01.01.2026,31.12.2026",
        "Support+,100501,,,,,,,,,,,,,,,01.01.2026,31.03.2027",
    )
    assert longer != text
    with translation.override("en"):
        report = erp_import(content=longer.encode(), name="kunden.csv")
    (refused,) = report.refused
    assert refused.record == "support_plus"
    assert SupportPlusSubscription.objects.get(customer__number="100501").end == date(2026, 12, 31)
