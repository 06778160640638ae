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
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

import django_tables2 as tables
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import models
from django.template.defaultfilters import date as date_filter
from django.templatetags.l10n import unlocalize
from django.utils import timezone
from django.utils.formats import localize, number_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django_tables2.columns import DateColumn, DateTimeColumn
from django_tables2.columns.linkcolumn import BaseLinkColumn
from django_tables2.utils import signature

MAX_PER_PAGE = 100
COUNT_BOUND = 5000  # rows counted past the start of the page shown, at most
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


class BoundedPaginator(Paginator):
    """Counts a list's rows only as far as the pages can lead from the one shown.

    A list of 100 000 ledger rows would otherwise run ``COUNT(*)`` over all of them on
    every view. This paginator counts at most ``COUNT_BOUND`` rows from the start of the
    page asked for (``SELECT COUNT(*) FROM (… LIMIT 5001 OFFSET …)``): below the bound the
    count is exact; past it ``exact`` is False and ``count`` is a lower bound, which the
    list shows as "more than 5 000 rows" with the pages up to there (each page further on
    counts again from where it stands). A page past the end counts the whole list once,
    to lead back to the last page.
    """

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        self._queryset = kwargs.pop("queryset", None)
        self._number = kwargs.pop("number", 1)
        self._bound = kwargs.pop("bound", COUNT_BOUND)
        super().__init__(object_list, per_page, orphans, allow_empty_first_page, **kwargs)
        self.exact = True

    @cached_property
    def count(self) -> int:
        if self._queryset is None:
            return super().count
        try:
            number = max(int(self._number), 1)
        except (TypeError, ValueError):
            number = 1
        start = (number - 1) * self.per_page
        rows = self._queryset
        query = rows.query
        plain = not (query.distinct or query.combinator or query.values_select or query.group_by)
        if plain:
            # How many rows lie past the start does not depend on their order: only the
            # keys, no order, no joins for related rows, no sums the page shows.
            rows = rows.order_by().values("pk")
        ahead = rows[start : start + self._bound + 1].count()
        if ahead > self._bound:
            self.exact = False
            return start + self._bound
        if ahead == 0 and start:
            return self._queryset.count()
        return start + ahead


class _Column:
    """What rendering a cell of one column needs, worked out once per page: the
    arguments its render method takes, its cell attributes, whether it shows a choice's
    label. Follows ``django_tables2.rows.BoundRow.get_cell`` step by step."""

    def __init__(self, bound_column) -> None:
        self.bound = bound_column
        self.column = bound_column.column
        self.accessor = tables.A(bound_column.accessor)
        self.render = bound_column.render
        date_format = self._date_format(self.column)
        if date_format is not None:
            # A date column compiles and renders its template ``{{ value|date:"…" }}`` for
            # every cell; the same filter, called directly.
            def render(value, bound_column):
                return date_filter(template_localtime(value), date_format) or bound_column.default

            self.render = render
        names, catch_all = signature(self.render)
        self.wanted = None if catch_all else names
        attrs = {**bound_column._table.attrs, **self.column.attrs}
        cell = attrs.get("td", attrs.get("cell", {}))
        # Attributes computed per record are left to django-tables2 (none of the desk's).
        self.td = None if any(callable(v) for v in cell.values()) else bound_column.attrs["td"]
        self.td_html = self.td.as_html() if self.td is not None else None
        self.display: bool | None = None  # decided on the first model record

    @staticmethod
    def _date_format(column) -> str | None:
        if type(column) not in (DateColumn, DateTimeColumn):
            return None
        match = _DATE_TEMPLATE.match(column.template_code or "")
        return match.group(1) if match else None

    def _uses_display(self, record) -> bool:
        if self.display is None:
            penultimate, remainder = self.accessor.penultimate(record)
            self.display = False
            if isinstance(penultimate, models.Model):
                try:
                    field = self.accessor.get_field(record)
                except FieldDoesNotExist:
                    field = None
                display = getattr(penultimate, f"get_{remainder}_display", None)
                self.display = bool(getattr(field, "choices", ()) and display)
        return self.display

    def value(self, record):
        if isinstance(record, models.Model) and self._uses_display(record):
            penultimate, remainder = self.accessor.penultimate(record)
            return getattr(penultimate, f"get_{remainder}_display")(), False
        try:
            return self.accessor.resolve(record), False
        except Exception:
            # As django-tables2: a column that names no field shows its default, a link
            # column with a text of its own shows that text.
            linked = isinstance(self.column, BaseLinkColumn) and self.column.text is not None
            return None, linked

    def cell(self, row, table) -> SafeString:
        record = row.record
        value, text_only = self.value(record)
        if not text_only and value in self.column.empty_values:
            content = self.bound.default
        else:
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
            if self.bound.link:
                content = self.bound.link(content, **kwargs)
        localized = self.bound.localize
        if localized is None:
            text = conditional_escape(localize(template_localtime(content)))
        else:
            shown = localize(content, use_l10n=True) if localized else unlocalize(content)
            text = conditional_escape(shown)
        if self.td_html is None:
            self.bound.current_record, self.bound.current_value = record, content
            return format_html("<td {}>{}</td>", self.bound.attrs["td"].as_html(), text)
        return format_html("<td {}>{}</td>", self.td_html, text)


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
        rows = [
            format_html(
                "<tr {}>{}</tr>",
                row.attrs.as_html(),
                mark_safe("".join(column.cell(row, self) for column in columns)),  # noqa: S308
            )
            for row in self.paginated_rows
        ]
        return mark_safe("\n".join(rows))  # noqa: S308 - each part is escaped above
