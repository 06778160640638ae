"""The customer list's table."""

import django_tables2 as tables
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from q3helpdesk.ui.tables import BaseTable

from .models import Customer, LicenceVariant


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

    def render_variant(self, value) -> str | Promise:
        return LicenceVariant(value).label

    def value_variant(self, value) -> str:
        return str(LicenceVariant(value).label) if value else ""
