"""The base table every list of the desk is built on (django-tables2): one place for the
look, the page size and the empty text of all lists, and the fast rendering of its rows.

django-tables2 renders a page cell by cell through its template: per cell it looks the
model field up again, inspects the render method's signature, recomputes the column's
attributes and renders a template node, about 0.2 ms a cell, so 50 rows of ten columns
cost 100 ms. ``BaseTable.rows_html`` renders the same cells with the same column
definitions (``render_<column>`` methods, column classes, links, defaults, choices
labels), but works out once per column what is the same for every row; the template
``ui/table.html`` uses it for the body and keeps django-tables2's header, ordering and
pagination. ``tests/q3helpdesk/test_lean_tables.py`` holds that the two give the same
HTML for every list of the desk.

Once per page, not per cell: a choice's labels in the page's language, the two cells of
a yes/no column, the time zone and a date format of digits (``d.m.Y H:i``, written with
``str.format``), a link's URL (one ``reverse()``, see ``rendering.NumberedUrl``), the
arguments of the row attributes; a value is read along the row's attributes directly
when the column names a chain of model fields. Anything else goes the way it went.
"""

from __future__ import annotations

import html
import inspect
import re
from datetime import date, datetime
from decimal import Decimal
from functools import partialmethod
from typing import Any

import django_tables2 as tables
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import models
from django.template.defaultfilters import date as date_filter
from django.templatetags.l10n import unlocalize
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.formats import get_format, localize, number_format
from django.utils.hashable import make_hashable
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django_tables2.columns import BooleanColumn, DateColumn, DateTimeColumn
from django_tables2.columns.linkcolumn import BaseLinkColumn
from django_tables2.utils import AttributeDict, signature

from .pages import BoundedPaginator
from .rendering import NumberedUrl

MAX_PER_PAGE = 100
NUMBER_FIELDS = (models.IntegerField, models.DecimalField, models.FloatField)
FIGURE = {"td": {"class": "text-end"}, "th": {"class": "text-end"}}
# The format django-tables2's date columns put in their one-line template.
_DATE_TEMPLATE = re.compile(r'^\{\{ value\|date:"([^"]+)"\|default:default \}\}$')


def amount_text(value: Any) -> str:
    """An amount in the Swiss format (1'234.50) in every language."""
    return number_format(Decimal(value), 2, force_grouping=True)


def template_localtime(value):
    """An aware datetime in the current time zone, as the template engine shows it."""
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


class AmountColumn(tables.Column):
    """An amount in CHF in the Swiss format (1'234.50); exports keep the plain number
    (1234.50) for spreadsheets."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("attrs", FIGURE)
        super().__init__(**kwargs)

    def render(self, value):
        return amount_text(value)

    def value(self, value):
        return value


_UNRESOLVED = object()
# Django's date format characters a plain ``str.format`` writes the same (digits only; a
# name of a day or month, a week number or a time zone go through Django's ``date``).
_DATE_PARTS = {
    "d": "{0.day:02d}",
    "j": "{0.day}",
    "m": "{0.month:02d}",
    "n": "{0.month}",
    "Y": "{0.year:04d}",
}
_TIME_PARTS = {"H": "{0.hour:02d}", "G": "{0.hour}", "i": "{0.minute:02d}", "s": "{0.second:02d}"}


def _digits_format(format_string: str) -> tuple[str, bool] | None:
    """The ``str.format`` template that writes a date as Django's ``date`` filter does
    with ``format_string`` (``d.m.Y H:i``), and whether it needs the time; None when the
    format has a character other than digits' and punctuation."""
    parts, timed = [], False
    for char in format_string:
        if char in _DATE_PARTS:
            parts.append(_DATE_PARTS[char])
        elif char in _TIME_PARTS:
            parts.append(_TIME_PARTS[char])
            timed = True
        elif char.isalpha() or char == "\\":
            return None
        else:
            parts.append(char.replace("{", "{{").replace("}", "}}"))
    return "".join(parts), timed


def _follow(record, bits: tuple[str, ...]):
    """``Accessor.resolve`` along the attributes of model rows (what the desk's columns
    name), without its dictionary and index attempts; ``_UNRESOLVED`` when the path leaves
    the models, meets a method or fails (``Accessor.resolve`` then decides, as before)."""
    current = record
    for bit in bits:
        if not isinstance(current, models.Model):
            return _UNRESOLVED
        try:
            current = getattr(current, bit)
        except Exception:
            return _UNRESOLVED
        if callable(current):
            return _UNRESOLVED
        if current is None:
            break
    return current


class _Link:
    """A column's link to a named URL whose arguments are fields of the row (the desk's
    ``linkify=("case_detail", {"pk": A("pk")})``): the URL comes from one ``reverse()``
    per page (:class:`NumberedUrl`). Any other link is left to django-tables2."""

    def __init__(self, link) -> None:
        self.link = link
        self.url: NumberedUrl | None = None
        params = link.reverse_args
        viewname = params.get("viewname")
        attrs = link.attrs or {}
        args = list(params.get("args") or ())
        kwargs = dict(params.get("kwargs") or {})
        if (
            link.url is not None
            or not isinstance(viewname, str)
            or set(params) - {"viewname", "args", "kwargs"}
            or not all(isinstance(v, tables.A) for v in [*args, *kwargs.values()])
            or "href" in attrs
            or any(callable(v) for v in attrs.values())
        ):
            return
        self.accessors = [tables.A(v) for v in [*args, *kwargs.values()]]
        self.bits = [tuple(accessor.bits) for accessor in self.accessors]
        self.url = NumberedUrl(viewname, args=len(args), kwargs=tuple(kwargs))
        self.attrs = AttributeDict(attrs).as_html()

    def __call__(self, content, **kwargs):
        if self.url is None:
            return self.link(content, **kwargs)
        record = kwargs["record"]
        values = []
        for accessor, bits in zip(self.accessors, self.bits, strict=True):
            value = _follow(record, bits)
            values.append(accessor.resolve(record) if value is _UNRESOLVED else value)
        # As LinkTransform: the <a> with the column's attributes and the href last.
        href = html.escape(self.url(*values))
        attrs = f'{self.attrs} href="{href}"' if self.attrs else f'href="{href}"'
        return SafeString(f"<a {attrs}>{conditional_escape(content)}</a>")


def _is_choices_display(model: type, name: str, field) -> bool:
    """Whether ``model.get_<field>_display`` is the one Django adds for a field with
    choices (a label looked up in the field's choices), not a method of the model."""
    display = inspect.getattr_static(model, name, None)
    return isinstance(display, partialmethod) and display.keywords.get("field") is field


class _Column:
    """What rendering a cell of one column needs, worked out once per page: the
    arguments its render method takes, its cell attributes, whether it shows a choice's
    label (and the labels in the page's language). Follows
    ``django_tables2.rows.BoundRow.get_cell`` step by step; what is the same for every
    row (a column's default, a yes/no cell, a date format) is done once."""

    def __init__(self, bound_column) -> None:
        self.bound = bound_column
        self.column = column = bound_column.column
        self.accessor = tables.A(bound_column.accessor)
        self.bits = tuple(self.accessor.bits)
        self.path, _, self.remainder = self.accessor.rpartition(self.accessor.SEPARATOR)
        self.path_bits = tuple(tables.A(self.path).bits)
        self.empty_values = column.empty_values
        self.render = bound_column.render
        # Column.render gives the value back: nothing to call.
        self.plain = getattr(self.render, "__func__", None) is tables.Column.render
        self.date_format = self._date_format(column)
        if self.date_format is not None:
            self.plain = False
            # A date column compiles and renders its template ``{{ value|date:"…" }}`` for
            # every cell; the same filter, called directly, or str.format for digits.
            resolved = get_format(self.date_format)
            self.tz = timezone.get_current_timezone()
            self.digits = _digits_format(resolved) if isinstance(resolved, str) else None
            date_format = self.date_format

            def render(value, bound_column):
                return date_filter(template_localtime(value), date_format) or bound_column.default

            self.render = render
        names, catch_all = signature(self.render)
        self.wanted = None if catch_all else names
        attrs = {**bound_column._table.attrs, **column.attrs}
        cell = attrs.get("td", attrs.get("cell", {}))
        # Attributes computed per record are left to django-tables2 (none of the desk's).
        self.td = None if any(callable(v) for v in cell.values()) else bound_column.attrs["td"]
        self.td_open = f"<td {self.td.as_html()}>" if self.td is not None else None
        # The default of the column (a callable default is asked for each cell, as before).
        self.fixed_default = not callable(getattr(column, "_default", None))
        self._default = bound_column.default if self.fixed_default else None
        self.link = _Link(bound_column.link) if bound_column.link else None
        self.localized = bound_column.localize
        self.display: bool | None = None  # decided on the first model record
        self.labels: dict | None = None  # the labels of the field's choices, if it has
        self.attname = ""
        self.yes_no: tuple[SafeString, SafeString] | None = None  # a BooleanColumn's cells
        self.text_link = isinstance(column, BaseLinkColumn) and column.text is not None

    @property
    def default(self):
        return self._default if self.fixed_default else self.bound.default

    @staticmethod
    def _date_format(column) -> str | None:
        if type(column) not in (DateColumn, DateTimeColumn):
            return None
        match = _DATE_TEMPLATE.match(column.template_code or "")
        return match.group(1) if match else None

    def _decide(self, record) -> None:
        """Looked at once, on the first model record of the page: does the column show a
        choice's label (``get_<field>_display``), is it a plain yes/no column?"""
        penultimate, remainder = self.accessor.penultimate(record)
        self.display = False
        field = None
        if isinstance(penultimate, models.Model):
            try:
                field = self.accessor.get_field(record)
            except FieldDoesNotExist:
                field = None
            display = getattr(penultimate, f"get_{remainder}_display", None)
            self.display = bool(getattr(field, "choices", ()) and display)
            name = f"get_{remainder}_display"
            if (
                self.display
                and field is not None
                and _is_choices_display(type(penultimate), name, field)
            ):
                # Model._get_FIELD_display builds a dict of the choices for every call.
                self.attname = field.attname
                self.labels = {
                    key: force_str(label, strings_only=True)
                    for key, label in dict(make_hashable(field.flatchoices)).items()
                }
        if (
            type(self.column) is BooleanColumn
            and getattr(self.render, "__func__", None) is BooleanColumn.render
            and not getattr(self.accessor.get_field(record), "choices", None)
        ):
            span = self.column.attrs.get("span", {})
            self.yes_no = tuple(  # type: ignore[assignment]
                format_html(
                    "<span {}>{}</span>",
                    AttributeDict({"class": str(value).lower(), **span}).as_html(),
                    escape(self.column.yesno[int(not value)]),
                )
                for value in (True, False)
            )

    def _label(self, penultimate):
        value = getattr(penultimate, self.attname)
        try:
            hash(value)
        except TypeError:
            value = make_hashable(value)
        labels = self.labels
        assert labels is not None
        if value in labels:
            return labels[value]
        return force_str(value, strings_only=True)

    def value(self, record):
        if isinstance(record, models.Model):
            if self.display is None:
                self._decide(record)
            if self.display:
                penultimate = _follow(record, self.path_bits)
                if penultimate is _UNRESOLVED:
                    penultimate, _ = self.accessor.penultimate(record)
                if isinstance(penultimate, models.Model):
                    if self.labels is not None:
                        return self._label(penultimate), False
                    return getattr(penultimate, f"get_{self.remainder}_display")(), False
            value = _follow(record, self.bits)
            if value is not _UNRESOLVED:
                return value, False
        try:
            return self.accessor.resolve(record), False
        except Exception:
            # As django-tables2: a column that names no field shows its default, a link
            # column with a text of its own shows that text.
            return None, self.text_link

    def content(self, row, table):
        record = row.record
        value, text_only = self.value(record)
        if not text_only and value in self.empty_values:
            return self.default
        if self.yes_no is not None:
            return self.yes_no[not value]
        if self.date_format is not None and self.digits is not None and not self.link:
            if isinstance(value, datetime) and timezone.is_aware(value):
                value = value.astimezone(self.tz)  # template_localtime, the zone looked up once
            if isinstance(value, datetime) or (isinstance(value, date) and not self.digits[1]):
                return self.digits[0].format(value) or self.default
        if self.plain and not self.link:
            return value
        kwargs = {
            "value": value,
            "record": record,
            "column": self.column,
            "bound_column": self.bound,
            "bound_row": row,
            "table": table,
        }
        if self.wanted is None:
            content = self.render(**kwargs)
        else:
            content = self.render(**{name: kwargs[name] for name in self.wanted})
        if self.link:
            content = self.link(content, **kwargs)
        return content

    def cell(self, row, table) -> str:
        content = self.content(row, table)
        kind = type(content)
        if self.localized is None and (kind is SafeString or kind is str):
            # localize() leaves text as it is; conditional_escape() of text, inline.
            text = content if kind is SafeString else html.escape(content)
        elif self.localized is None:
            text = conditional_escape(localize(template_localtime(content)))
        else:
            shown = localize(content, use_l10n=True) if self.localized else unlocalize(content)
            text = conditional_escape(shown)
        if self.td_open is None:
            self.bound.current_record, self.bound.current_value = row.record, content
            return f"<td {self.bound.attrs['td'].as_html()}>{text}</td>"
        return f"{self.td_open}{text}</td>"


class _RowAttrs:
    """The attributes of a row's ``<tr>``, as ``BoundRow.attrs.as_html()`` writes them
    (the table's ``row_attrs``, computed per record, then the odd/even class), with the
    arguments of each computed attribute looked up once per page, not once per row."""

    def __init__(self, table) -> None:
        self.table = table
        # (name, value or function, the function's arguments: None for **kwargs)
        self.items: list[tuple[str, Any, tuple[str, ...] | None]] | None = []
        for key, value in (table.row_attrs or {}).items():
            if isinstance(value, dict):
                self.items = None  # nested attributes: left to django-tables2
                return
            names: tuple[str, ...] | None = ()
            if callable(value):
                wanted, catch_all = signature(value)
                names = None if catch_all else tuple(wanted)
            self.items.append((key, value, names))

    def html(self, row) -> str:
        if self.items is None:
            return row.attrs.as_html()
        given = {"table": self.table, "record": row.record}
        values = {}
        for key, value, names in self.items:
            if callable(value):  # as django_tables2.utils.computed_values
                value = value(**(given if names is None else {n: given[n] for n in names}))
            if isinstance(value, dict):
                return row.attrs.as_html()
            values[key] = value
        odd_even = row.get_even_odd_css_class()
        values["class"] = f"{values['class']} {odd_even}" if values.get("class") else odd_even
        # As AttributeDict.as_html: a callable value is called, None is left out.
        shown = ((key, value() if callable(value) else value) for key, value in values.items())
        return " ".join(
            f'{conditional_escape(key)}="{conditional_escape(value)}"'
            for key, value in shown
            if key not in AttributeDict.blacklist and value is not None
        )


class BaseTable(tables.Table):
    class Meta:
        template_name = "ui/table.html"
        attrs = {"class": "table table-sm table-hover align-middle mb-0 table-desk"}
        per_page = 50
        empty_text = _("Nothing matches these filters.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A table whose Meta names ``orderable_fields`` sorts only on those (the ones an
        # index serves); the other columns are not clickable.
        orderable = getattr(self.Meta, "orderable_fields", None)
        if orderable is not None:
            for name, column in self.columns.columns.items():
                if name not in orderable:
                    column.column.orderable = False
        # Figures read down a column: the model's number fields are right-aligned.
        model = getattr(self._meta, "model", None)
        for column in self.columns.columns.values() if model is not None else ():
            try:
                field = model._meta.get_field(str(column.accessor))
            except FieldDoesNotExist:
                continue
            if isinstance(field, NUMBER_FIELDS) and not field.choices:
                for part in ("td", "th"):
                    cell = column.column.attrs.setdefault(part, {})
                    cell["class"] = f"{cell.get('class', '')} text-end".strip()

    def paginate(self, paginator_class=Paginator, per_page=None, page=1, *args, **kwargs):
        """A page size from the query string (``?per_page=``) counts from 1 to
        ``MAX_PER_PAGE`` rows; any other value is no page size, and the table's own is used
        (no unbounded page, no error page for ``per_page=-1``)."""
        if per_page is not None and not 1 <= per_page <= MAX_PER_PAGE:
            per_page = None
        if paginator_class is Paginator:
            paginator_class = BoundedPaginator
        if issubclass(paginator_class, BoundedPaginator):
            queryset = getattr(self.data, "data", None)
            if isinstance(queryset, models.QuerySet):
                kwargs.update(queryset=queryset, number=page)
        return super().paginate(paginator_class, per_page, page, *args, **kwargs)

    def rows_html(self) -> SafeString:
        """The ``<tr>`` of the page's rows, as django-tables2's template renders them."""
        columns = [_Column(bound) for bound in self.columns]
        attrs = _RowAttrs(self)
        rows = [
            f"<tr {attrs.html(row)}>{''.join(c.cell(row, self) for c in columns)}</tr>"
            for row in self.paginated_rows
        ]
        return mark_safe("\n".join(rows))  # noqa: S308 - each part is escaped above
