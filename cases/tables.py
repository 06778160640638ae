import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from customers.tables import BaseTable

from .models import Callback, Case


class CaseTable(BaseTable):
    reference = tables.Column(
        verbose_name=_("Case"),
        accessor="pk",
        order_by=("id",),
        linkify=("case_detail", {"pk": tables.A("pk")}),
    )
    customer = tables.Column(verbose_name=_("Customer"), order_by=("customer__name",))
    support_plus = tables.BooleanColumn(verbose_name=_("Support+"), yesno="★,")

    class Meta(BaseTable.Meta):
        model = Case
        fields = [
            "support_plus",
            "reference",
            "created_at",
            "customer",
            "contact",
            "channel",
            "kind",
            "subject",
            "status",
            "assignee",
        ]
        order_by = ("-support_plus", "-created_at")
        row_attrs = {"data-support-plus": lambda record: "1" if record.support_plus else "0"}

    def render_reference(self, record) -> str:
        return record.reference

    def value_reference(self, record) -> str:
        return record.reference

    def render_customer(self, record):
        return format_html("{} {}", record.customer.number, record.customer.name)

    def value_customer(self, record) -> str:
        return f"{record.customer.number} {record.customer.name}"


class CallbackTable(BaseTable):
    case = tables.Column(
        verbose_name=_("Case"),
        accessor="case_id",
        order_by=("case_id",),
        linkify=("case_detail", {"pk": tables.A("case_id")}),
    )
    customer = tables.Column(
        verbose_name=_("Customer"), accessor="case__customer", order_by=("case__customer__name",)
    )
    support_plus = tables.BooleanColumn(verbose_name=_("Support+"), yesno="★,")

    class Meta(BaseTable.Meta):
        model = Callback
        fields = [
            "support_plus",
            "case",
            "customer",
            "phone",
            "reason",
            "created_at",
            "first_window_start",
            "first_window_end",
            "last_window_end",
            "first_attempt_at",
            "status",
            "closed_at",
            "claimed_by",
        ]
        order_by = ("-first_window_start",)
        orderable_fields = ("first_window_start", "created_at")

    def render_case(self, record) -> str:
        return record.case.reference

    def value_case(self, record) -> str:
        return record.case.reference

    def render_customer(self, record):
        return format_html("{} {}", record.case.customer.number, record.case.customer.name)

    def value_customer(self, record) -> str:
        return f"{record.case.customer.number} {record.case.customer.name}"
