"""An activity added with a new tariff (R4: "adding an activity is adding a row to a new
tariff") is named wherever users meet it: the invoice PDF in the customer's language, the
invoice page, the ledger and its export, the manager's chart, and the notice of a tariff
to come (today: 15.03.2027)."""

import csv
import html
import io
import json
import re
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from billing.models import ActivityRate
from billing.pdf import invoice_pdf
from customers.services import half_fare_subscribe
from q3helpdesk.roles import Role
from tests.factories import copy_tariff, issued_invoice, make_usage, rental_customer

pytestmark = pytest.mark.django_db

YEAR_2027 = {"start": date(2027, 1, 1), "end": date(2027, 12, 31)}
FEBRUARY = {"period_start": date(2027, 2, 1), "period_end": date(2027, 2, 28)}
NAMES = {"fr": "Conseil", "de": "Beratung", "en": "Consulting"}
ACTIVITY_HEADER = {"fr": "Activité", "de": "Tätigkeit"}
RATE_HEADER = {"fr": "Tarif horaire (CHF)", "de": "Stundenansatz (CHF)"}


def add_consulting(tariff, *, position=45, half_fare_rate=None) -> ActivityRate:
    """Consulting at 160.00/h, not covered by any credit."""
    return ActivityRate.objects.create(
        tariff=tariff,
        code="consulting",
        position=position,
        name_fr=NAMES["fr"],
        name_de=NAMES["de"],
        name_en=NAMES["en"],
        hourly_rate=Decimal("160.00"),
        half_fare_rate=half_fare_rate,
    )


@pytest.fixture
def consulting(db):
    """The tariff from 01.01.2027, with consulting added after form adaptations."""
    tariff = copy_tariff(date(2027, 1, 1))
    add_consulting(tariff)
    return tariff


def consulted(language="fr", minutes=60):
    """A 2027 customer (with credit, which consulting does not draw) with ``minutes`` of
    consulting on 03.02.2027."""
    customer = rental_customer(rent=Decimal("480.00"), language=language, **YEAR_2027)
    usage = make_usage(
        customer, minutes, activity="consulting", ref="C-7", on=date(2027, 2, 3), label="Q"
    )
    assert (usage.credit_minutes, usage.billable_minutes, usage.rate) == (0, minutes, 160)
    return customer


def text_of(pdf: bytes) -> str:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def page_text(response) -> str:
    return html.unescape(response.content.decode())


# --- the invoice ------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "other"), [("de", "fr"), ("fr", "de")])
def test_the_invoice_pdf_names_the_activity_in_the_customers_language(
    consulting, creditor, language, other
):
    invoice = issued_invoice(
        consulted(language), issued_on=date(2027, 3, 1), render_pdf=False, **FEBRUARY
    )
    assert invoice.language == language
    text = text_of(invoice_pdf(invoice=invoice))
    # The line: case · label, the activity's name, day, minutes, its rate and the amount.
    assert f"C-7 · Q {NAMES[language]} 03.02.2027 60 0 60 160.00 160.00" in text
    assert NAMES[other] not in text
    assert "consulting" not in text


@pytest.mark.parametrize("language", ["de", "fr"])
def test_the_invoice_page_names_the_activity_in_the_users_language(
    consulting, creditor, client, user_with_role, language
):
    invoice = issued_invoice(
        consulted("fr"), issued_on=date(2027, 3, 1), render_pdf=False, **FEBRUARY
    )
    client.force_login(user_with_role(Role.BILLING))
    response = client.get(f"/billing/invoices/{invoice.pk}/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    page = page_text(response)
    assert f"<td>{NAMES[language]}</td>" in page
    assert ">consulting<" not in page  # never the bare code


# --- the ledger -------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["fr", "de"])
def test_the_ledger_and_its_csv_name_the_activity(consulting, client, user_with_role, language):
    consulted()
    client.force_login(user_with_role(Role.MANAGER))
    since = {"performed_from": "2027-02-01"}  # the default view is this month's postings
    page = client.get("/billing/ledger/", since, HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    assert re.search(rf"<td[^>]*>{NAMES[language]}</td>", page_text(page))

    export = client.get(
        "/billing/ledger/", {**since, "_export": "csv"}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert export.status_code == 200
    header, *rows = csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";")
    assert len(rows) == 1
    line = dict(zip(header, rows[0], strict=True))
    assert line[ACTIVITY_HEADER[language]] == NAMES[language]
    assert line[RATE_HEADER[language]] == "160.00"


# --- the manager's dashboard ------------------------------------------------------------


def chart_data(response) -> dict:
    page = response.content.decode()
    start = page.index('id="dashboard-charts"')
    return json.loads(page[page.index(">", start) + 1 : page.index("</script>", start)])


@pytest.mark.parametrize("language", ["fr", "de"])
def test_the_minutes_per_activity_chart_has_a_dataset_for_the_activity(
    consulting, client, user_with_role, language
):
    consulted(minutes=50)
    client.force_login(user_with_role(Role.MANAGER))
    response = client.get(
        "/dashboard/", {"start": "2027-02-01", "end": "2027-02-28"}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200
    minutes = chart_data(response)["minutes"]
    datasets = {d["label"]: d["data"] for d in minutes["datasets"]}
    assert sum(datasets[NAMES[language]]) == 50
    assert "consulting" not in datasets
    # Each bar of it opens the ledger filtered on it.
    position = [d["label"] for d in minutes["datasets"]].index(NAMES[language])
    week = datasets[NAMES[language]].index(50)
    ledger = client.get(minutes["links"][position][week])
    assert [u.activity for u in ledger.context["table"].data] == ["consulting"]


# --- the notice of the tariff to come ---------------------------------------------------


def notice(response) -> str:
    """The text of the upcoming-tariff notice on a page ("" when there is none)."""
    page = page_text(response)
    if 'data-testid="upcoming-tariff"' not in page:
        return ""
    start = page.index('data-testid="upcoming-tariff"')
    block = page[start : page.index("</div>", start)]
    return " ".join(re.sub(r"<[^>]+>", " ", block.split(">", 1)[1]).split())


@pytest.fixture
def coming_consulting(db):
    """From 01.04.2027 consulting comes first; returns its row to set its half-fare rate."""
    return add_consulting(copy_tariff(date(2027, 4, 1)), position=1)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("fr", "Nouveau tarif dès le 01.04.2027 : Conseil 160.00/h"),
        ("de", "Neuer Tarif ab 01.04.2027: Beratung 160.00/h"),
        ("en", "New tariff from 01.04.2027: Consulting 160.00/h"),
    ],
)
def test_the_home_page_announces_the_first_activity_of_the_coming_tariff(
    coming_consulting, client, user_with_role, language, text
):
    client.force_login(user_with_role(Role.INFOLINE))
    assert notice(client.get("/", HTTP_ACCEPT_LANGUAGE=language)) == text


def half_fare_customer(number: str):
    customer = rental_customer(number=number, **YEAR_2027)
    half_fare_subscribe(customer=customer, **YEAR_2027)
    return customer


@pytest.mark.parametrize(
    ("half_fare_rate", "half_fare", "text"),
    [
        (
            Decimal("120.00"),
            True,
            "Nouveau tarif dès le 01.04.2027 : Conseil 160.00/h, demi-tarif 120.00/h",
        ),
        (None, True, "Nouveau tarif dès le 01.04.2027 : Conseil 160.00/h"),
        (Decimal("120.00"), False, "Nouveau tarif dès le 01.04.2027 : Conseil 160.00/h"),
    ],
    ids=["row-with-half-fare", "row-without-half-fare", "customer-without-half-fare"],
)
def test_the_customer_page_adds_the_half_fare_rate_where_row_and_customer_have_one(
    coming_consulting, client, user_with_role, half_fare_rate, half_fare, text
):
    coming_consulting.half_fare_rate = half_fare_rate
    coming_consulting.save()
    if half_fare:
        customer = half_fare_customer("10001")
    else:
        customer = rental_customer(number="10001", **YEAR_2027)
    client.force_login(user_with_role(Role.INFOLINE))
    page = client.get(f"/customers/{customer.number}/")
    assert ('data-testid="badge-half-fare"' in page.content.decode()) is half_fare
    assert notice(page) == text


def test_the_customer_page_names_the_half_fare_rate_in_german(
    coming_consulting, client, user_with_role
):
    coming_consulting.half_fare_rate = Decimal("120.00")
    coming_consulting.save()
    customer = half_fare_customer("10002")
    client.force_login(user_with_role(Role.INFOLINE))
    page = client.get(f"/customers/{customer.number}/", HTTP_ACCEPT_LANGUAGE="de")
    assert notice(page) == "Neuer Tarif ab 01.04.2027: Beratung 160.00/h, Halbtax 120.00/h"
