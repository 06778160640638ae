"""The base table every list of the desk is built on (django-tables2): one place for the
look, the page size and the empty text of all lists."""

import django_tables2 as tables
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import models
from django.utils.translation import gettext_lazy as _

MAX_PER_PAGE = 100
NUMBER_FIELDS = (models.IntegerField, models.DecimalField, models.FloatField)


class BaseTable(tables.Table):
    class Meta:
        template_name = "django_tables2/bootstrap5-responsive.html"
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
        return super().paginate(paginator_class, per_page, page, *args, **kwargs)
