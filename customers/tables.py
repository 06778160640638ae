"""The base table every list of the desk is built on (django-tables2).

It lives in ``customers`` because every app may import customers (customers <- billing <-
cases): one place for the look, the page size and the empty text of all lists.
"""

import django_tables2 as tables
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import Customer, LicenceVariant

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


class CustomerTable(BaseTable):
    """Rows of customers_for_list(): the annotations say how things stand today."""

    number = tables.Column(
        verbose_name=_("Number"),
        linkify=("customer_detail", {"number": tables.A("number")}),
    )
    city = tables.Column(verbose_name=_("City"), order_by=("city", "name"))
    variant = tables.Column(verbose_name=_("Variant"), default="—")
    eligible = tables.BooleanColumn(verbose_name=_("Eligible"))
    support_plus = tables.BooleanColumn(verbose_name=_("Support+"), yesno="★,")
    half_fare = tables.BooleanColumn(verbose_name=_("Half-fare"))

    class Meta(BaseTable.Meta):
        model = Customer
        fields = [
            "number",
            "name",
            "city",
            "phone",
            "email",
            "variant",
            "eligible",
            "support_plus",
            "half_fare",
        ]
        order_by = ("name",)
        orderable_fields = ("number", "name", "city")
        attrs = {**BaseTable.Meta.attrs, "data-testid": "customer-table"}

    def render_city(self, record) -> str:
        return f"{record.postcode} {record.city}".strip()

    def value_city(self, record) -> str:
        return f"{record.postcode} {record.city}".strip()

    def render_variant(self, value) -> str:
        return LicenceVariant(value).label

    def value_variant(self, value) -> str:
        return str(LicenceVariant(value).label) if value else ""
