"""New customers written at once (customers.erp.bulk): the first load of a customer base
must end exactly as if every row had gone through the services — the same rows with the
same values, the same credit grants, the same history records (with the import's user),
the same report — while its queries do not grow with the customers."""

from collections import Counter
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection, models, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from simple_history.models import HistoricalRecords

from billing.models import CreditGrant, Tariff
from billing.selectors.tariffs import tariffs_changed
from customers.erp import bulk
from customers.erp.outcomes import Outcome
from customers.models import Customer, Licence
from customers.services import (
    contact_create,
    customer_create,
    erp_import,
    licence_create,
    rental_period_create,
    support_plus_subscribe,
)
from customers.services import erp as erp_services
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HEADER = (
    "Satzart;Kundennummer;Firma;Strasse;Hausnummer;PLZ;Ort;Land;Sprache;E-Mail;Telefon;"
    "Funktion;Lizenznummer;Lizenzart;Variante;Module;Beginn;Ende;Jahresmiete;Personen"
)
COLUMNS = HEADER.split(";")
VARIANTS = ("Standard", "Advanced", "Profi", "Premium")
MODULES = ("COFI", "COFI, SAL", "COFI, FAC, DEB", "SAL, FAC, CRE, COFI", "DEB")


def row(record: str, number: str, **cells: str) -> str:
    names = {
        "firma": "Firma",
        "strasse": "Strasse",
        "nr": "Hausnummer",
        "plz": "PLZ",
        "ort": "Ort",
        "sprache": "Sprache",
        "mail": "E-Mail",
        "tel": "Telefon",
        "funktion": "Funktion",
        "lizenz": "Lizenznummer",
        "art": "Lizenzart",
        "variante": "Variante",
        "module": "Module",
        "beginn": "Beginn",
        "ende": "Ende",
        "miete": "Jahresmiete",
        "personen": "Personen",
    }
    given = {names[key]: value for key, value in cells.items()}
    values = [record, number] + [given.get(column, "") for column in COLUMNS[2:]]
    return ";".join(values)


def regular_customers(count: int, first: int = 200001) -> list[str]:
    """New customers of every shape the bulk path takes: contacts (two of one name), one
    or two licences (a purchase one), periods of one year, of two (two grants), below the
    rent threshold (no grant), before the first tariff, half-fare subscriptions."""
    rows = []
    for n in range(count):
        number = str(first + n)
        rows.append(
            row(
                "Kunde",
                number,
                firma=f"Treuhand Beispiel {n} AG",
                strasse="Seeweg",
                nr=str(n + 1),
                plz=str(3000 + n),
                ort=("Bern", "Zürich", "Genève")[n % 3],
                sprache=("Deutsch", "französisch", "E")[n % 3],
                mail=f"info{n}@beispiel.example" if n % 4 else "",
                tel=f"031 {300 + n} 12 34" if n % 2 else "",
            )
        )
        rows.append(row("Kontakt", number, firma=f"Anna Müller {n}", funktion="Buchhaltung"))
        if n % 5 == 0:  # a second contact of the same name, told apart by the e-mail
            rows.append(row("Kontakt", number, firma=f"Anna Müller {n}", mail=f"a{n}@x.example"))
        licence = f"B-{number}"
        rows.append(
            row(
                "Lizenz",
                number,
                lizenz=licence,
                art="Miete",
                variante=VARIANTS[n % 4],
                module=MODULES[n % 5],
            )
        )
        rent = ("480.00", "1'440.00", "50.00", "2280.00")[n % 4]
        if n % 3 == 0:  # two years at once: a grant per rental year
            rows.append(
                row(
                    "Mietperiode",
                    number,
                    lizenz=licence,
                    beginn="01.07.2025",
                    ende="30.06.2027",
                    miete=rent,
                )
            )
        else:
            rows.append(
                row(
                    "Mietperiode",
                    number,
                    lizenz=licence,
                    beginn="01.01.2026",
                    ende="31.12.2026",
                    miete=rent,
                )
            )
            rows.append(
                row(
                    "Mietperiode",
                    number,
                    lizenz=licence,
                    beginn="01.01.2027",
                    ende="31.12.2027",
                    miete=rent,
                )
            )
        if n % 7 == 0:
            rows.append(
                row(
                    "Lizenz",
                    number,
                    lizenz=f"K-{number}",
                    art="Kauf",
                    variante="Profi",
                    module="COFI",
                )
            )
        if n % 8 == 0:
            rows.append(
                row(
                    "Mietperiode",
                    number,
                    lizenz=licence,
                    beginn="01.01.2019",
                    ende="31.12.2019",
                    miete=rent,
                )
            )
        if n % 4 == 1:
            rows.append(row("Halbtax", number, beginn="01.01.2026", ende="31.12.2026"))
            rows.append(row("Halbtax", number, beginn="01.01.2027", ende="30.06.2027"))
    return rows


def special_customers() -> list[str]:
    """New customers the services refuse, or change while they create them, and saved ones."""
    return [
        # Support+ on a profi licence: accepted (the per-customer way, its capacity).
        row("Kunde", "300001", firma="Plus AG", plz="3000", ort="Bern"),
        row("Kontakt", "300001", firma="Eva Plus"),
        row("Lizenz", "300001", lizenz="S-1", art="Miete", variante="Profi", module="COFI, SAL"),
        row(
            "Mietperiode",
            "300001",
            lizenz="S-1",
            beginn="01.01.2026",
            ende="31.12.2026",
            miete="900.00",
        ),
        row("Support+", "300001", beginn="01.01.2026", ende="31.12.2026", personen="Eva Plus"),
        # Support+ past the capacity (R7).
        row("Kunde", "300002", firma="Voll GmbH"),
        row("Kontakt", "300002", firma="Urs Voll"),
        row("Lizenz", "300002", lizenz="S-2", art="Miete", variante="Premium", module="COFI"),
        row(
            "Mietperiode",
            "300002",
            lizenz="S-2",
            beginn="01.01.2026",
            ende="31.12.2026",
            miete="900.00",
        ),
        row("Support+", "300002", beginn="01.01.2026", ende="31.12.2026", personen="Urs Voll"),
        # Support+ on a standard licence.
        row("Kunde", "300003", firma="Standard AG"),
        row("Kontakt", "300003", firma="Ida Standard"),
        row("Lizenz", "300003", lizenz="S-3", art="Miete", variante="Standard", module="COFI"),
        row(
            "Mietperiode",
            "300003",
            lizenz="S-3",
            beginn="01.01.2026",
            ende="31.12.2026",
            miete="900.00",
        ),
        row("Support+", "300003", beginn="01.01.2026", ende="31.12.2026", personen="Ida Standard"),
        # A row that cannot be read.
        row("Kunde", "300004", firma="Gold AG"),
        row("Lizenz", "300004", lizenz="S-4", art="Miete", variante="Gold", module="COFI"),
        # One licence number for two customers.
        row("Kunde", "300005", firma="Doppel AG"),
        row("Lizenz", "300005", lizenz="S-5", art="Miete", variante="Profi", module="COFI"),
        row("Kunde", "300006", firma="Doppel GmbH"),
        row("Lizenz", "300006", lizenz="S-5", art="Miete", variante="Profi", module="COFI"),
        # A second period overlapping the first: the services change the first with it.
        row("Kunde", "300007", firma="Überlapp AG"),
        row("Lizenz", "300007", lizenz="S-7", art="Miete", variante="Advanced", module="COFI"),
        row(
            "Mietperiode",
            "300007",
            lizenz="S-7",
            beginn="01.01.2026",
            ende="31.12.2026",
            miete="480.00",
        ),
        row(
            "Mietperiode",
            "300007",
            lizenz="S-7",
            beginn="01.07.2026",
            ende="30.06.2027",
            miete="600.00",
        ),
        # Half-fare subscriptions that overlap.
        row("Kunde", "300008", firma="Halbtax AG"),
        row("Halbtax", "300008", beginn="01.01.2026", ende="31.12.2026"),
        row("Halbtax", "300008", beginn="01.06.2026", ende="31.05.2027"),
        # A period of a licence that is nowhere; a period of a purchase licence.
        row("Kunde", "300009", firma="Ohne Lizenz AG"),
        row(
            "Mietperiode",
            "300009",
            lizenz="S-0",
            beginn="01.01.2026",
            ende="31.12.2026",
            miete="480.00",
        ),
        row("Kunde", "300010", firma="Kauf AG"),
        row("Lizenz", "300010", lizenz="S-10", art="Kauf", variante="Profi", module="COFI"),
        row(
            "Mietperiode",
            "300010",
            lizenz="S-10",
            beginn="01.01.2026",
            ende="31.12.2026",
            miete="480.00",
        ),
        # Rows of a customer without its customer row.
        row("Lizenz", "300011", lizenz="S-11", art="Miete", variante="Profi", module="COFI"),
        # Values the model refuses: a Swiss postcode of five digits, an e-mail, a module.
        row("Kunde", "300012", firma="Post AG", plz="30001", ort="Bern"),
        row("Kunde", "300013", firma="Mail AG", mail="nicht-eine-adresse"),
        row("Kunde", "300014", firma="Modul AG"),
        row("Lizenz", "300014", lizenz="S-14", art="Miete", variante="Profi", module="COFI, XYZ"),
        # A control character in a name (the services' guard).
        row("Kunde", "300015", firma="Glocke\x07 AG"),
        # A licence number the desk has already (another customer's).
        row("Kunde", "300016", firma="Fremd AG"),
        row("Lizenz", "300016", lizenz="D-1", art="Miete", variante="Profi", module="COFI"),
        # The customer the desk has: a new city, a new contact.
        row("Kunde", "100001", firma="Desk AG", ort="Thun", plz="3600"),
        row("Kontakt", "100001", firma="Neu Desk"),
    ]


def erp_file(rows: list[str]) -> bytes:
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode("utf-8")


@pytest.fixture
def desk():
    """A customer the desk has (profi, with Support+), and room for two Support+ in all."""
    customer = customer_create(number="100001", name="Desk AG", postcode="3000", city="Bern")
    contact = contact_create(customer=customer, name="Rita Desk")
    licence = licence_create(customer=customer, variant="profi", modules=["COFI"], number="D-1")
    rental_period_create(
        licence=licence, start=date(2026, 1, 1), end=date(2026, 12, 31), annual_rent=Decimal(900)
    )
    support_plus_subscribe(
        customer=customer, start=date(2026, 1, 1), end=date(2026, 12, 31), registered=[contact]
    )
    Tariff.objects.update(support_plus_capacity=2)
    tariffs_changed()
    return customer


@pytest.fixture
def import_user():
    user = UserFactory()
    before = getattr(HistoricalRecords.context, "request", None)
    HistoricalRecords.context.request = SimpleNamespace(user=user)
    yield user
    HistoricalRecords.context.request = before


# --- what the tables hold, without primary keys and instants --------------------------------


def _tables() -> list[type[models.Model]]:
    return [
        model
        for app in ("customers", "billing")
        for model in apps.get_app_config(app).get_models(include_auto_created=True)
    ]


class Snapshot:
    """Every row of the customers and billing tables as its values, a reference to another
    row as that row's values (so that primary keys, which differ between two runs, do not
    count), instants left out."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, object], tuple] = {}

    def tables(self) -> dict[str, Counter]:
        return {
            model._meta.label: Counter(
                self.row(model, pk) for pk in model._base_manager.values_list("pk", flat=True)
            )
            for model in _tables()
        }

    def row(self, model: type[models.Model], pk) -> tuple:
        if model._meta.app_label not in ("customers", "billing"):
            return (model._meta.label, pk)  # a user, the same in both runs
        key = (model._meta.label, pk)
        if key not in self.rows:
            values = model._base_manager.filter(pk=pk).values().get()
            original = getattr(model, "instance_type", None)  # a history record's model
            described = []
            for field in model._meta.concrete_fields:
                value = values[field.attname]
                if field.primary_key or isinstance(field, models.DateTimeField):
                    continue
                if field.name == "id" and "m2m_history_id" in values:
                    continue  # a history record of a licence's module: the link's own key
                if field.name == "id" and original is not None:
                    value = self.row(original, value)
                elif isinstance(field, models.ForeignKey) and value is not None:
                    value = self.row(field.remote_field.model, value)
                elif value is not None and not isinstance(value, str | int | date | Decimal | bool):
                    value = str(value)  # a phone number
                described.append((field.name, value))
            self.rows[key] = (model._meta.label, tuple(described))
        return self.rows[key]


def report_of(report) -> tuple:
    return (
        report.counts,
        report.unknown_columns,
        [
            (
                line.row.line,
                line.record,
                line.key,
                line.customer,
                line.outcome,
                line.changes,
                line.message,
            )
            for line in report.lines
        ],
    )


def import_and_roll_back(content: bytes, *, dry_run: bool = False) -> tuple[tuple, dict]:
    """The report of an import and the tables after it; then the import is undone."""
    with transaction.atomic():
        with translation.override("de"):
            report = erp_import(content=content, name="kunden.csv", dry_run=dry_run)
        tables = Snapshot().tables()
        transaction.set_rollback(True)
    return report_of(report), tables


@pytest.fixture
def bulk_taken(monkeypatch) -> list[str]:
    """The customer numbers the bulk path wrote (or, on a dry run, checked)."""
    taken: list[str] = []
    real = erp_services.apply_new_customers

    def spy(groups, *, dry_run):
        rest = real(groups, dry_run=dry_run)
        taken.extend(group.number for group in groups if group not in rest)
        return rest

    monkeypatch.setattr(erp_services, "apply_new_customers", spy)
    return taken


def service_path_only(monkeypatch) -> None:
    monkeypatch.setattr(erp_services, "apply_new_customers", lambda groups, *, dry_run: groups)


def test_new_customers_end_as_through_the_services(desk, import_user, bulk_taken, monkeypatch):
    content = erp_file(regular_customers(40) + special_customers())
    before = Snapshot().tables()
    bulk_report, bulk_tables = import_and_roll_back(content)
    # The regular customers went the bulk way; those the services refuse or change did not.
    assert sorted(bulk_taken) == [str(200001 + n) for n in range(40)]
    service_path_only(monkeypatch)
    service_report, service_tables = import_and_roll_back(content)

    assert bulk_report == service_report
    assert bulk_tables == service_tables
    # What the comparison covered: the rows, their grants and history, the refusals.
    assert bulk_tables != before
    counts = bulk_report[0]
    assert counts[Outcome.NEW] > 200 and counts[Outcome.REFUSED] >= 12
    assert counts[Outcome.CHANGED] == 2  # the desk's customer, the overlapping period
    grants = bulk_tables[CreditGrant._meta.label]
    assert sum(grants.values()) > sum(before[CreditGrant._meta.label].values()) + 40
    history = bulk_tables[Customer.history.model._meta.label]
    users = {
        values["history_user"]
        for values in (dict(described) for _label, described in history)
        if values["number"].startswith("2")  # the file's new customers
    }
    assert users == {(type(import_user)._meta.label, import_user.pk)}


def test_a_dry_run_of_new_customers_writes_nothing_and_says_what_the_services_say(
    desk, bulk_taken, monkeypatch
):
    content = erp_file(regular_customers(12) + special_customers())
    before = Snapshot().tables()
    bulk_report, bulk_tables = import_and_roll_back(content, dry_run=True)
    assert len(bulk_taken) == 12
    assert bulk_tables == before
    service_path_only(monkeypatch)
    service_report, _tables = import_and_roll_back(content, dry_run=True)
    assert bulk_report == service_report


def test_the_queries_of_new_customers_do_not_grow_with_them():
    content = erp_file(regular_customers(150))
    with CaptureQueriesContext(connection) as queries:
        report = erp_import(content=content, name="kunden.csv")
    assert set(report.counts) and report.counts[Outcome.NEW] == len(report.lines)
    # Row by row through the services this took some 90 queries per customer.
    assert len(queries) < 150


def test_a_customer_saved_meanwhile_sends_its_chunk_the_per_customer_way(monkeypatch):
    content = erp_file(regular_customers(5))
    real = bulk._checked

    def checked_while_a_desk_saves(group, modules):
        if group.number == "200003":  # saved by a desk after the chunk's numbers were read
            customer_create(number="200003", name="Am Schalter erfasst")
        return real(group, modules)

    monkeypatch.setattr(bulk, "_checked", checked_while_a_desk_saves)
    report = erp_import(content=content, name="kunden.csv")
    outcomes = {(line.customer, line.record): line.outcome for line in report.lines}
    assert outcomes[("200003", "customer")] == Outcome.CHANGED  # the desk's, renamed
    assert outcomes[("200001", "customer")] == Outcome.NEW
    assert not report.refused
    assert Customer.objects.filter(number__startswith="20000").count() == 5
    assert Licence.objects.filter(number__startswith="B-20000").count() == 5


def test_the_credit_of_new_customers_is_derived_once_per_chunk(monkeypatch):
    import billing.credit_ledger

    calls = []
    real = billing.credit_ledger.sync_new

    def recorded(*, customers):
        saved = Customer.objects.filter(pk__in=[c.pk for c in customers]).count()
        calls.append((len(customers), saved))
        return real(customers=customers)

    monkeypatch.setattr(billing.credit_ledger, "sync_new", recorded)
    monkeypatch.setattr(bulk, "CHUNK", 4)
    monkeypatch.setattr(erp_services, "CHUNK", 4)
    erp_import(content=erp_file(regular_customers(10)), name="kunden.csv")
    assert calls == [(4, 4), (4, 4), (2, 2)]  # each chunk's customers, saved when told

    # R3: advanced with two main modules, 15 min in each of its two rental periods; premium
    # with four, 35 min in each rental year of a period of two years.
    def grants(licence_number):
        return sorted(
            CreditGrant.objects.filter(rental_period__licence__number=licence_number).values_list(
                "valid_from", "minutes"
            )
        )

    assert grants("B-200002") == [(date(2026, 1, 1), 15), (date(2027, 1, 1), 15)]
    assert grants("B-200004") == [(date(2025, 7, 1), 35), (date(2026, 7, 1), 35)]


def test_a_chunk_the_ledger_fails_for_is_imported_customer_by_customer(monkeypatch, caplog):
    import billing.credit_ledger

    def failing(*, customers):
        raise RuntimeError("ledger down")

    monkeypatch.setattr(billing.credit_ledger, "sync_new", failing)
    report = erp_import(content=erp_file(regular_customers(6)), name="kunden.csv")
    assert report.counts[Outcome.NEW] == len(report.lines)
    assert "could not be written at once" in caplog.text
    # The per-customer way derived the credit period by period.
    assert CreditGrant.objects.filter(customer__number="200002").exists()


# --- the same customers again: compared a chunk at once -------------------------------------


def swap(rows: list[str], old: str, new: str) -> list[str]:
    found = [i for i, text in enumerate(rows) if old in text]
    assert len(found) == 1, old
    rows = list(rows)
    rows[found[0]] = rows[found[0]].replace(old, new)
    return rows


def changed_again(rows: list[str]) -> list[str]:
    """The file of a later day: most customers as they were, some changed."""
    rows = swap(rows, ";3001;Zürich;", ";3001;Basel;")  # a customer moved
    rows = swap(
        rows,
        "Kontakt;200005;Anna Müller 4;;;;;;;;;",
        "Kontakt;200005;Anna Müller 4;;;;;;;;031 555 12 12;",
    )
    rows = swap(rows, "B-200007;Miete;Profi", "B-200007;Miete;Premium")  # an upgrade
    rows = swap(
        rows, "B-200011;;;;01.01.2027;31.12.2027;50.00", "B-200011;;;;01.01.2027;31.12.2027;600.00"
    )
    rows = swap(
        rows,
        "Halbtax;200002;;;;;;;;;;;;;;;01.01.2027;30.06.2027",
        "Halbtax;200002;;;;;;;;;;;;;;;01.01.2027;31.12.2027",
    )
    return [*rows, row("Kontakt", "200012", firma="Beat Neu")]


def test_saved_customers_compared_a_chunk_at_once_end_as_one_by_one(desk, import_user, monkeypatch):
    first = regular_customers(30) + special_customers()
    erp_import(content=erp_file(first), name="kunden.csv")
    again = erp_file(changed_again(first))
    compared_report, compared_tables = import_and_roll_back(again)
    monkeypatch.setattr(erp_services, "SavedChunk", lambda groups: None)
    one_by_one_report, one_by_one_tables = import_and_roll_back(again)

    assert compared_report == one_by_one_report
    assert compared_tables == one_by_one_tables
    counts = compared_report[0]
    # The five rows changed above, and the two overlapping periods of 300007 (the second
    # changed the first again when the file was first loaded).
    assert counts[Outcome.CHANGED] == 7
    assert counts[Outcome.NEW] == 1  # the new contact of 200012
    assert counts[Outcome.UNCHANGED] > 150


def test_the_same_customers_again_cost_a_few_queries_per_chunk():
    content = erp_file(regular_customers(60))
    erp_import(content=content, name="kunden.csv")
    with CaptureQueriesContext(connection) as queries:
        report = erp_import(content=content, name="kunden.csv")
    assert report.counts[Outcome.UNCHANGED] == len(report.lines)
    # One by one this took some twelve queries per customer.
    assert len(queries) < 20


def test_a_fault_checking_a_new_customer_sends_it_the_per_customer_way(monkeypatch):
    real = bulk._checked

    def failing(group, modules):
        if group.number == "200002":
            raise RuntimeError("a bug")
        return real(group, modules)

    monkeypatch.setattr(bulk, "_checked", failing)
    report = erp_import(content=erp_file(regular_customers(3)), name="kunden.csv")
    assert report.counts[Outcome.NEW] == len(report.lines)
    assert Licence.objects.get(number="B-200002").rental_periods.count() == 2


def support_plus_customer(number: str, name: str) -> list[str]:
    return [
        row("Kunde", number, firma=f"{name} AG", plz="3000", ort="Bern"),
        row("Kontakt", number, firma=f"{name} Muster"),
        row("Lizenz", number, lizenz=f"P-{number}", art="Miete", variante="Profi", module="COFI"),
        row(
            "Mietperiode",
            number,
            lizenz=f"P-{number}",
            beginn="01.01.2026",
            ende="31.12.2026",
            miete="900.00",
        ),
        row("Support+", number, beginn="01.01.2026", ende="31.12.2026", personen=f"{name} Muster"),
    ]


def test_the_check_counts_the_support_plus_places_the_file_takes_itself(desk):
    """R7 across the file: one place is left (the desk's customer holds the other); the
    file's first new Support+ takes it, the second is refused — by the check as by the
    import, so that the check never promises what the import then refuses."""
    content = erp_file(
        support_plus_customer("300101", "Erste")
        + regular_customers(2)
        + support_plus_customer("300102", "Zweite")
    )
    checked, checked_tables = import_and_roll_back(content, dry_run=True)
    imported, _tables = import_and_roll_back(content)
    assert checked == imported
    with translation.override("de"):
        report = erp_import(content=content, name="kunden.csv", dry_run=True)
    plus = {
        line.customer: (line.outcome, line.message)
        for line in report.lines
        if line.record == "support_plus"
    }
    assert plus["300101"] == (Outcome.NEW, "")
    assert plus["300102"] == (
        Outcome.REFUSED,
        "Support+ ist ausgebucht: alle 2 Plätze sind für diese Periode vergeben."
        " Setzen Sie den Kunden auf die Warteliste.",
    )
    assert checked_tables == Snapshot().tables()  # the check wrote nothing
