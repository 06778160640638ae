"""Exports of the desk's tables: one piece for every list and every dashboard table.

A CSV that Excel opens in Switzerland without an import dialog (UTF-8 with a byte-order
mark, ``;`` between cells, dates 31.12.2026, local times to the second, yes/no in the
user's language, amounts as plain numbers 1234.50) or an XLSX workbook (tablib) with real
dates and numbers. No cell is ever run by the spreadsheet: see ``neutralise``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import openpyxl
import tablib
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from django_tables2.columns import BooleanColumn, DateColumn, DateTimeColumn

if TYPE_CHECKING:
    from django_tables2 import Table

EXPORT_FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# A spreadsheet runs a cell that starts with one of these as a formula (or a DDE command).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A phone number ("+41 31 511 49 49") keeps its "+": made of digits, spaces and the usual
# separators only, it names no function, reference or command, so it cannot run anything,
# and the desk reads it as it dials it. Anything else starting with "+" is neutralised.
PHONE_LIKE = re.compile(r"\+[0-9][0-9 ./()-]{5,}")


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet shows it but never runs it: a cell that would start a
    formula gets a leading apostrophe (OWASP's advice on CSV injection), except a phone
    number."""
    if text.lstrip(" ").startswith(FORMULA_STARTS) and not PHONE_LIKE.fullmatch(text.strip()):
        return "'" + text
    return text


def export_cell(value, *, for_csv: bool):
    """One cell. CSV: text the Swiss Excel reads back; XLSX: real dates, times, numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        value = value.replace(tzinfo=None, microsecond=0)  # Excel knows no time zones
        return value.strftime("%d.%m.%Y %H:%M:%S") if for_csv else value
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y") if for_csv else value
    if isinstance(value, int | Decimal | float):
        return value
    return neutralise(str(value))


def _raw_value(row, bound_column):
    """The cell's value for an export: what the table's ``value_<name>`` gives, else the
    column's; dates, times and yes/no columns give the value itself (django-tables2 would
    give ISO text and "True"), which ``export_cell`` then writes the Swiss way."""
    column = bound_column.column
    typed = isinstance(column, DateColumn | DateTimeColumn | BooleanColumn)
    if typed and bound_column.value == column.value:  # no value_/render_ method on the table
        try:
            return bound_column.accessor.resolve(row.record)
        except Exception:  # a missing related row reads as an empty cell, as on the page
            return None
    return row.get_cell_value(bound_column.name)


def table_rows(table: Table, *, for_csv: bool) -> Iterator[list]:
    """The header row, then one row per record (all pages), of the exported columns."""
    columns = [c for c in table.columns.iterall() if not c.column.exclude_from_export]
    yield [str(c.header) for c in columns]
    for row in table.rows:
        yield [export_cell(_raw_value(row, c), for_csv=for_csv) for c in columns]


def _xlsx_bytes(dataset: tablib.Dataset) -> bytes:
    """The workbook tablib writes, with dates shown 31.12.2026 rather than 2026-12-31."""
    book = openpyxl.load_workbook(io.BytesIO(dataset.export("xlsx")))
    for row in book.active.iter_rows(min_row=2):
        for cell in row:
            if cell.is_date:
                with_time = "h" in cell.number_format.lower()
                cell.number_format = "DD.MM.YYYY HH:MM:SS" if with_time else "DD.MM.YYYY"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_bytes(rows: Iterator[list], *, fmt: str, title: str) -> bytes:
    """A header row and its rows (cells from ``export_cell``) as a CSV or XLSX file."""
    dataset = tablib.Dataset(headers=next(rows), title=title[:31])
    for row in rows:
        dataset.append(row)
    if fmt == "csv":
        # The byte-order mark tells Excel it is UTF-8; ";" is the list separator of Swiss
        # Windows, so each cell opens in its own column.
        return dataset.export("csv", delimiter=";").encode("utf-8-sig")
    return _xlsx_bytes(dataset)


def export_response(table: Table, *, fmt: str, name: str) -> HttpResponse:
    """``table`` as a download ``<name>.<fmt>``; an unknown format is not found."""
    if fmt not in EXPORT_FORMATS:
        raise Http404("unknown export format")
    content = export_bytes(table_rows(table, for_csv=fmt == "csv"), fmt=fmt, title=name)
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
