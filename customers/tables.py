"""The base table every list of the desk is built on (django-tables2).

It lives in ``customers`` because every app may import customers (customers <- billing <-
cases): one place for the look, the page size and the empty text of all lists.
"""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _


class BaseTable(tables.Table):
    class Meta:
        template_name = "django_tables2/bootstrap5-responsive.html"
        attrs = {"class": "table table-sm table-hover align-middle mb-0"}
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
