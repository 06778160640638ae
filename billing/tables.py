import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from customers.tables import BaseTable

from .models import CreditGrant, Usage


class UsageTable(BaseTable):
    customer = tables.Column(verbose_name=_("Customer"), order_by=("customer__number",))
    reverses = tables.Column(verbose_name=_("Reversal"), empty_values=(None,), default="")

    class Meta(BaseTable.Meta):
        model = Usage
        fields = [
            "performed_on",
            "customer",
            "work_ref",
            "activity",
            "contact",
            "logged_minutes",
            "charged_minutes",
            "credit_minutes",
            "billable_minutes",
            "free_minutes",
            "rate",
            "amount",
            "reverses",
            "label",
        ]
        order_by = ("-performed_on", "-id")
        row_attrs = {"class": lambda record: "text-body-secondary" if record.reverses_id else ""}

    def render_customer(self, record) -> str:
        return f"{record.customer.number} {record.customer.name}"

    def value_customer(self, record) -> str:
        return record.customer.number

    def render_reverses(self, record) -> str:
        return _("reversal of #%(id)s") % {"id": record.reverses_id}


class CreditGrantTable(BaseTable):
    customer = tables.Column(verbose_name=_("Customer"), order_by=("customer__number",))
    used = tables.Column(verbose_name=_("Used minutes"), orderable=True)
    remaining = tables.Column(verbose_name=_("Remaining minutes"), orderable=True)

    class Meta(BaseTable.Meta):
        model = CreditGrant
        fields = ["customer", "source", "valid_from", "valid_to", "minutes", "used", "remaining"]
        order_by = ("valid_to", "customer")

    def render_customer(self, record) -> str:
        return f"{record.customer.number} {record.customer.name}"

    def value_customer(self, record) -> str:
        return record.customer.number
