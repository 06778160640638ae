"""Exports that Swiss offices open without fuss: CSV for Excel in Switzerland (UTF-8 with a
byte-order mark, ";", 31.12.2026, local times to the second, yes/no in the user's language,
no cell a spreadsheet would run) and XLSX (tablib) — one piece for every list and every
dashboard table (``q3helpdesk.ui.exports``)."""

import io
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import django_tables2 as tables
import openpyxl
import pytest
import time_machine
from django.http import Http404
from django.urls import reverse
from django.utils import translation

from cases.callbacks import callback_schedule
from cases.services import case_create
from q3helpdesk.roles import Role
from q3helpdesk.ui.exports import export_response, neutralise
from q3helpdesk.ui.tables import BaseTable
from tests.factories import rental_customer

ZURICH = ZoneInfo("Europe/Zurich")


class SampleTable(BaseTable):
    day = tables.DateColumn(verbose_name="Day")
    at = tables.DateTimeColumn(verbose_name="At")
    vip = tables.BooleanColumn(verbose_name="VIP", yesno="★,")
    text = tables.Column(verbose_name="Text")
    phone = tables.Column(verbose_name="Phone")
    amount = tables.Column(verbose_name="Amount")

    class Meta(BaseTable.Meta):
        orderable = False


ROW = {
    "day": date(2026, 12, 31),
    # 13:05:09.123456 in Zurich, stored in UTC as Django does
    "at": datetime(2026, 7, 1, 11, 5, 9, 123456, tzinfo=ZoneInfo("UTC")),
    "vip": True,
    "text": '=HYPERLINK("http://evil.example","click")',
    "phone": "+41 31 511 49 49",
    "amount": Decimal("1234.50"),
}


def csv_of(rows, language="fr") -> bytes:
    with translation.override(language):
        return export_response(SampleTable(rows), fmt="csv", name="sample").content


@pytest.mark.parametrize(
    ("language", "yes", "no"), [("fr", "Oui", "Non"), ("de", "Ja", "Nein"), ("en", "Yes", "No")]
)
def test_csv_bytes_are_what_excel_in_switzerland_opens(language, yes, no):
    content = csv_of([ROW, {**ROW, "vip": False, "text": "Müller & Söhne; Zürich"}], language)
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark
    assert content.decode("utf-8-sig").split("\r\n") == [
        "Day;At;VIP;Text;Phone;Amount",
        f'31.12.2026;01.07.2026 13:05:09;{yes};"\'=HYPERLINK(""http://evil.example"",""click"")"'
        ";+41 31 511 49 49;1234.50",
        f'31.12.2026;01.07.2026 13:05:09;{no};"Müller & Söhne; Zürich";+41 31 511 49 49;1234.50',
        "",
    ]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("  =1", "'  =1"),
        ("+41 31 511 49 49", "+41 31 511 49 49"),  # a phone number stays as dialled
        ("+41 (0)31 511.49.49", "+41 (0)31 511.49.49"),
        ("+41 79 123 45 67 =1", "'+41 79 123 45 67 =1"),  # not only a phone number
        ("+41", "'+41"),  # too short to be a phone number
        ("Schreinerei Keller", "Schreinerei Keller"),
        ("C-12", "C-12"),
        ("", ""),
    ],
)
def test_cells_a_spreadsheet_would_run_are_neutralised(text, shown):
    assert neutralise(text) == shown


def test_xlsx_reads_back_with_real_dates_numbers_and_neutralised_text():
    with translation.override("de"):
        response = export_response(SampleTable([ROW]), fmt="xlsx", name="sample")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"] == 'attachment; filename="sample.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, row = list(sheet.iter_rows(values_only=True))
    assert header == ("Day", "At", "VIP", "Text", "Phone", "Amount")
    assert row == (
        datetime(2026, 12, 31),
        datetime(2026, 7, 1, 13, 5, 9),
        "Ja",
        '\'=HYPERLINK("http://evil.example","click")',
        "+41 31 511 49 49",
        1234.5,
    )
    assert sheet["A2"].number_format == "DD.MM.YYYY"
    assert sheet["B2"].number_format == "DD.MM.YYYY HH:MM:SS"
    assert sheet["D2"].data_type == "s"  # text, never a formula


def test_an_unknown_format_is_not_found():
    with pytest.raises(Http404):
        export_response(SampleTable([ROW]), fmt="yaml", name="sample")


# --- through the pages ------------------------------------------------------------------


@pytest.fixture
def callback_row(db):
    with time_machine.travel(datetime(2026, 3, 2, 9, 30, tzinfo=ZURICH), tick=False):
        customer = rental_customer(name="=Evil AG")
        case = case_create(customer=customer, channel="phone", subject="Rückruf")
        callback_schedule(
            case=case,
            phone="+41 31 511 49 49",
            reason="-Abschluss prüfen",
            windows=[(date(2026, 3, 3), time(8, 0), time(9, 30))],
        )
    return customer


@pytest.mark.parametrize(("language", "no"), [("fr", "Non"), ("de", "Nein")])
def test_a_list_exports_swiss_csv(client, user_with_role, callback_row, settings, language, no):
    client.force_login(user_with_role(Role.SUPPORT))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("callback_list"), {"_export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="callbacks.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    header, row, end = response.content.decode("utf-8-sig").split("\r\n")
    assert end == "" and header.count(";") == row.count(";")
    cells = row.split(";")
    assert cells[0] == no  # Support+
    assert f"{callback_row.number} =Evil AG" in cells  # starts with a digit: never run
    assert "+41 31 511 49 49" in cells and "'-Abschluss prüfen" in cells
    assert "02.03.2026 09:30:00" in cells  # created, in Zurich time, no microseconds
    assert "03.03.2026 08:00:00" in cells  # the first window


def test_a_list_exports_xlsx(client, user_with_role, callback_row):
    client.force_login(user_with_role(Role.SUPPORT))
    response = client.get(reverse("callback_list"), {"_export": "xlsx"})
    assert response.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    assert len(rows) == 2 and "+41 31 511 49 49" in rows[1]
    assert datetime(2026, 3, 3, 8, 0) in rows[1]


def test_every_export_needs_the_lists_permission(client, user_with_role, callback_row):
    assert client.get(reverse("callback_list"), {"_export": "csv"}).status_code == 302
    client.force_login(user_with_role(None))
    assert client.get(reverse("callback_list"), {"_export": "xlsx"}).status_code == 403


def test_the_dashboard_tables_export_through_the_same_piece(client, user_with_role):
    client.force_login(user_with_role(Role.MANAGER))
    for fmt in ("csv", "xlsx"):
        response = client.get(reverse("dashboard"), {"_export": fmt, "_table": "overdue"})
        assert response.status_code == 200
        assert response["Content-Disposition"] == f'attachment; filename="dashboard-overdue.{fmt}"'
    csv = client.get(reverse("dashboard"), {"_export": "csv", "_table": "top"}).content
    assert csv.startswith(b"\xef\xbb\xbf") and b";" in csv.splitlines()[0]
    client.force_login(user_with_role(Role.SUPPORT))
    assert client.get(reverse("dashboard"), {"_export": "csv", "_table": "top"}).status_code == 403


@pytest.mark.parametrize("rows", [1, 30])
def test_an_export_runs_a_bounded_number_of_queries(
    client, user_with_role, django_assert_max_num_queries, rows
):
    with time_machine.travel(datetime(2026, 3, 2, 9, 30, tzinfo=ZURICH), tick=False):
        customer = rental_customer()
        for n in range(rows):
            case = case_create(customer=customer, channel="phone", subject=f"Frage {n}")
            callback_schedule(
                case=case,
                phone="031 511 49 49",
                reason="Rückruf",
                windows=[(date(2026, 3, 3), time(8, 0), time(9, 30))],
            )
    client.force_login(user_with_role(Role.SUPPORT))
    with django_assert_max_num_queries(10):
        response = client.get(reverse("callback_list"), {"_export": "csv"})
    assert len(response.content.decode("utf-8-sig").split("\r\n")) == rows + 2
