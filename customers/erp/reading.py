"""Reading an ERP file (CSV or XLSX) into its rows, each cell under its column's key.

A CSV comes in UTF-8 (with or without the byte-order mark Excel writes) or in Windows-1252,
the encoding of a Swiss Windows ERP; nothing else is guessed. Its separator is read from
the header line (``;`` as Swiss Excel writes, ``,`` or a tab). An XLSX file gives its
numbers and dates as such. A file is refused whole, before any row, when it cannot be read,
has no customer-number column, or says of no row what it is; a row whose record type is
unknown is kept with its problem, to be reported.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from .cells import Cell, is_blank
from .columns import Header, parse_record, read_header, record_of

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 64  # a workbook's columns read; the file's own are some twenty
MAX_UNZIPPED = 200 * 1024 * 1024  # a workbook's parts, unpacked
XLSX_START = b"PK\x03\x04"  # a zip file: Office Open XML
SEPARATORS = ";\t,"  # by precedence when a header line holds as many of two
_QUOTED = re.compile(r'"[^"]*"')


@dataclass(frozen=True)
class ErpRow:
    """One record of the file, where it stands (its line in a CSV, its row in a sheet)."""

    line: int
    sheet: str  # "" in a CSV
    record: str | None  # a ``Record``; None when the row says none the desk knows
    cells: dict[str, Cell]  # key → the cell as the file holds it
    problem: str = ""  # why the row cannot be read


@dataclass
class ErpFile:
    format: str  # "csv" or "xlsx"
    encoding: str  # "utf-8", "windows-1252"; "" for XLSX
    rows: list[ErpRow] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)


def check_size(size: int) -> None:
    """Refuse a file larger than ``MAX_BYTES`` (before it is read)."""
    if size > MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(size)s MB.") % {"size": MAX_BYTES // (1024 * 1024)}
        )


def read_erp_file(*, content: bytes, name: str = "", head: int | None = None) -> ErpFile:
    """The rows of an ERP export; a ValidationError in the user's language when the file
    as a whole cannot be read. ``head``: only the first rows (header included), a quick
    look at an upload while the user waits; the worker reads the whole file."""
    check_size(len(content))
    if content.startswith(XLSX_START):
        return _read_xlsx(content, head)
    if name.lower().endswith((".xlsx", ".xls", ".xlsm")):
        raise ValidationError(_("The file is not an Excel workbook (.xlsx) the desk can read."))
    return _read_csv(content, head)


def _decoded(content: bytes) -> tuple[str, str]:
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", errors="strict"), "utf-8"
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("windows-1252"), "windows-1252"
    except UnicodeDecodeError:
        raise ValidationError(
            _("The file is neither UTF-8 nor Windows-1252 text: save it as CSV (UTF-8).")
        ) from None


def _read_csv(content: bytes, head: int | None = None) -> ErpFile:
    try:
        text, encoding = _decoded(content)
    except UnicodeDecodeError:
        raise ValidationError(_("The file is not UTF-8 text: save it as CSV (UTF-8).")) from None
    if "\x00" in text:
        raise ValidationError(_("The file is not a CSV file."))
    header = _QUOTED.sub("", text.split("\n", 1)[0])
    delimiter = max(SEPARATORS, key=lambda sep: (header.count(sep), -SEPARATORS.index(sep)))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    erp = ErpFile("csv", encoding)
    try:
        rows = list(reader if head is None else itertools.islice(reader, head))
    except csv.Error as exc:  # e.g. a quote never closed: the rest of the file in one cell
        raise ValidationError(
            _(
                "The file is not a CSV file the desk can read: from line %(line)s on, a quote"
                " is never closed or a cell is longer than %(length)s characters."
            )
            % {
                "line": reader.line_num,
                "length": number_format(csv.field_size_limit(), force_grouping=True),
            }
        ) from exc
    _read_table(erp, rows, sheet="", record=None)
    _require_records(erp)
    return erp


def _read_xlsx(content: bytes, head: int | None = None) -> ErpFile:
    import zipfile

    import openpyxl  # only for a workbook

    unreadable = _("The file is not an Excel workbook (.xlsx) the desk can read.")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNZIPPED:
            raise ValidationError(unreadable)
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            sheets = [
                (
                    sheet.title,
                    list(
                        sheet.iter_rows(
                            max_col=MAX_COLUMNS,
                            max_row=MAX_ROWS + 2 if head is None else head,
                            values_only=True,
                        )
                    ),
                )
                for sheet in book
            ]
        finally:
            book.close()
    except ValidationError:
        raise
    except Exception as exc:  # a broken or hostile workbook: zip, XML, entities, types
        raise ValidationError(unreadable) from exc
    erp = ErpFile("xlsx", "")
    tables = [(title, rows) for title, rows in sheets if any(_filled(row) for row in rows)]
    for title, rows in tables:
        record = record_of(title) if len(tables) > 1 else None
        _read_table(erp, rows, sheet=title, record=record)
    _require_records(erp)
    return erp


def _filled(row) -> bool:
    return any(not is_blank(cell) for cell in row)


def _read_table(erp: ErpFile, rows: list, *, sheet: str, record: str | None) -> None:
    """The rows of one table (a CSV, a sheet) under its header, the first filled row.
    A sheet named as a record type holds that type's rows when it has no ``record``
    column."""
    numbered = [(number, row) for number, row in enumerate(rows, start=1) if _filled(row)]
    if not numbered:
        return
    (_header_line, header_row), *records = numbered
    header = read_header(list(header_row))
    where = {"sheet": sheet} if sheet else {}
    if "customer_number" not in header.columns:
        raise ValidationError(
            (
                _("The sheet “%(sheet)s” has no column for the customer number.")
                if sheet
                else _("The file has no column for the customer number.")
            )
            % where
        )
    if "record" not in header.columns and record is None:
        raise ValidationError(
            (
                _(
                    "The sheet “%(sheet)s” has no column for the record type, and its name"
                    " is not a record type."
                )
                if sheet
                else _("The file has no column for the record type.")
            )
            % where
        )
    erp.unknown_columns.extend(name for name in header.unknown if name not in erp.unknown_columns)
    if len(erp.rows) + len(records) > MAX_ROWS:
        raise ValidationError(_("The file has more than %(rows)s rows.") % {"rows": MAX_ROWS})
    width = max((i + 1 for i, cell in enumerate(header_row) if not is_blank(cell)), default=0)
    for line, row in records:
        row = list(row)
        if any(not is_blank(cell) for cell in row[width:]):  # cells no header names
            extra = _(
                "The row has cells beyond the last column of the header: is a separator"
                " inside a cell? Put such a cell in quotes."
            )
            # Kept with its cells: it is its customer's row, refused, and so is its customer.
            cells = _row(header, row, line=line, sheet=sheet, record=record).cells
            erp.rows.append(ErpRow(line, sheet, None, cells, extra))
            continue
        erp.rows.append(_row(header, row, line=line, sheet=sheet, record=record))


def _row(header: Header, row: list, *, line: int, sheet: str, record: str | None) -> ErpRow:
    cells = {key: row[index] if index < len(row) else None for key, index in header.columns.items()}
    if "record" in cells and not (record is not None and is_blank(cells["record"])):
        try:
            record = parse_record(cells["record"])
        except ValidationError as exc:
            return ErpRow(line, sheet, None, cells, " ".join(exc.messages))
        if record is None:
            return ErpRow(line, sheet, None, cells, _("The row does not say what it is."))
    return ErpRow(line, sheet, record, cells)


def _require_records(erp: ErpFile) -> None:
    if not erp.rows:
        raise ValidationError(_("The file holds no rows under its header."))
