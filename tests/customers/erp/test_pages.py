"""The ERP import from the desk (issue 18): Billing uploads a file, the worker checks it
(a dry run: nothing written), the report shows each row, Billing confirms, the worker
imports, and the customers are at the desk with their credit. Other roles may not."""

from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils.html import escape

from billing.selectors import credit_balance
from customers.models import Customer, ErpImport, ErpImportStatus, Licence
from q3helpdesk.roles import Role
from tests.factories import rental_customer

# The worker runs for real: it needs committed rows and its own transactions.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

FILES = Path(__file__).parent / "files"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


@pytest.fixture
def billing(client, user_with_role):
    client.force_login(user_with_role(Role.BILLING, username="barbara"))
    return client


def upload(client, name="erp_fr_windows1252.csv", language="fr"):
    with (FILES / name).open("rb") as handle:
        return client.post(
            "/erp/import/", {"file": handle}, HTTP_ACCEPT_LANGUAGE=language, follow=False
        )


def test_upload_check_confirm_and_the_customers_are_at_the_desk(billing):
    response = upload(billing)
    assert response.status_code == 302
    erp = ErpImport.objects.get()
    assert response["Location"] == f"/erp/import/{erp.pk}/"
    assert erp.status == ErpImportStatus.CHECKING and erp.created_by.username == "barbara"
    page = billing.get(response["Location"], HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'data-status="checking"' in page and "hx-trigger" in page
    run_worker()
    erp.refresh_from_db()
    assert erp.status == ErpImportStatus.CHECKED
    assert erp.counts["new"] == 9 and not Customer.objects.exists()  # a dry run
    page = billing.get(f"/erp/import/{erp.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Vérifié : toutes les lignes peuvent être importées." in page
    assert page.count('class="erp-new"') == 9
    assert "Colonnes ignorées : Remarque" in page
    response = billing.post(f"/erp/import/{erp.pk}/confirm/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 302
    erp.refresh_from_db()
    assert erp.status == ErpImportStatus.APPLYING and erp.confirmed_by.username == "barbara"
    run_worker()
    erp.refresh_from_db()
    assert erp.status == ErpImportStatus.APPLIED
    dubois = Customer.objects.get(number="100502")
    assert credit_balance(customer=dubois, on=date(2026, 3, 2)).granted == 35 + 120
    # The history says who imported it, as for a change made at the desk.
    assert dubois.history.get().history_user.username == "barbara"
    licence_history = Licence.history.filter(number="L-5002")
    assert {row.history_user.username for row in licence_history} == {"barbara"}
    # Once only.
    again = billing.post(f"/erp/import/{erp.pk}/confirm/", HTTP_ACCEPT_LANGUAGE="fr", follow=True)
    assert "Seul un fichier vérifié peut être importé, et une seule fois." in again.content.decode()


def test_a_refused_row_is_shown_with_its_reason_in_german(billing):
    content = (FILES / "erp_de_utf8_bom.csv").read_bytes().replace(b",Profi,", b",Gold,")
    billing.post(
        "/erp/import/",
        {"file": SimpleUploadedFile("kunden.csv", content, content_type="text/csv")},
        HTTP_ACCEPT_LANGUAGE="de",
    )
    run_worker()
    erp = ErpImport.objects.get()
    assert erp.status == ErpImportStatus.CHECKED and erp.language == "de"
    page = billing.get(f"/erp/import/{erp.pk}/?outcome=refused", HTTP_ACCEPT_LANGUAGE="de")
    html = page.content.decode()
    assert "«Gold» ist kein bekannter Wert (Variante)" in html
    assert "1 Kunde hat eine abgelehnte Zeile und bleibt, wie er ist." in html


def test_a_file_that_cannot_be_read_is_refused_at_once(billing):
    response = billing.post(
        "/erp/import/",
        {"file": SimpleUploadedFile("notes.csv", b"Nom;NPA\nDubois;1204\n")},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 200
    assert "pas de colonne pour le numéro de client" in response.content.decode()
    assert not ErpImport.objects.exists()


def test_the_export_downloads_in_the_users_language(billing):
    upload(billing)
    run_worker()
    erp = ErpImport.objects.get()
    billing.post(f"/erp/import/{erp.pk}/confirm/")
    run_worker()
    response = billing.get("/erp/export/?format=csv", HTTP_ACCEPT_LANGUAGE="de")
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode("utf-8-sig").startswith("Satzart;Kundennummer;")
    assert billing.get("/erp/export/?format=pdf").status_code == 404


@pytest.mark.parametrize("role", [Role.INFOLINE, Role.SUPPORT, Role.MANAGER])
def test_other_roles_may_not(client, user_with_role, role):
    client.force_login(user_with_role(role))
    assert client.get("/erp/import/").status_code == 403
    assert client.get("/erp/export/?format=csv").status_code == 403


def test_the_page_says_how_many_licences_lack_their_erp_number(billing):
    rental_customer(number="10001", name="Bürgi Elektro GmbH")
    page = billing.get("/erp/import/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "1 Lizenz hat keine ERP-Lizenznummer" in page


def test_a_report_page_or_outcome_out_of_range_shows_the_nearest(billing):
    upload(billing)
    run_worker()
    erp = ErpImport.objects.get()
    for query in ("?page=999", "?page=x", "?outcome=nonsense", "?outcome=refused&page=-1"):
        response = billing.get(f"/erp/import/{erp.pk}/{query}")
        assert response.status_code == 200, query
    assert billing.get(f"/erp/import/{erp.pk}/?page=999").content.decode().count("erp-new") == 9


def test_a_fault_further_down_than_the_first_rows_is_the_checks_to_report(billing):
    """The upload reads the first rows while Billing waits; the worker reads the whole
    file and says what is wrong further down (here a quote never closed), translated."""
    rows = ["Type;N° client;Nom"] + [f"Client;{400000 + n};Firma {n}" for n in range(150)]
    rows.append('Client;400999;"Firma ohne Ende' + "x" * 140_000)
    content = ("\r\n".join(rows) + "\r\n").encode()
    response = billing.post(
        "/erp/import/",
        {"file": SimpleUploadedFile("gross.csv", content, content_type="text/csv")},
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert response.status_code == 302  # kept, and its check queued
    run_worker()
    checked = ErpImport.objects.get()
    assert checked.status == ErpImportStatus.FAILED
    assert checked.error == (
        "Die Datei ist keine lesbare CSV-Datei: Ab Zeile 152 wird ein Anführungszeichen nie"
        " geschlossen, oder eine Zelle ist länger als 131'072 Zeichen."
    )
    page = billing.get(f"/erp/import/{checked.pk}/", HTTP_ACCEPT_LANGUAGE="de")
    assert escape(checked.error) in page.content.decode()
    assert not Customer.objects.exists()


def test_a_file_that_is_no_erp_export_by_its_name_is_refused_at_once(billing):
    response = billing.post(
        "/erp/import/",
        {"file": SimpleUploadedFile("rechnung.pdf", b"%PDF-1.7", content_type="application/pdf")},
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "Dateiendung „pdf“ ist nicht erlaubt. Erlaubte Dateiendungen sind: „csv, tsv, txt, xlsx“."
    ]
    assert not ErpImport.objects.exists()


def test_the_upload_page_reads_the_same_queries_for_one_upload_and_twelve(billing):
    from django.core.files.base import ContentFile
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def made(n: int) -> None:
        for _ in range(n):
            ErpImport.objects.create(
                name="k.csv", file=ContentFile(b"x", name="k.csv"), rows=[{"line": 1}] * 50
            )

    made(1)
    with CaptureQueriesContext(connection) as one:
        assert billing.get("/erp/import/").status_code == 200
    made(11)
    with CaptureQueriesContext(connection) as twelve:
        page = billing.get("/erp/import/")
    assert len(page.context["recent"]) == 10
    assert len(twelve) == len(one)
    assert not [q for q in twelve.captured_queries if '"rows"' in q["sql"]]  # no report read
