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
