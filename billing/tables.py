from functools import cached_property

import django_tables2 as tables
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from q3helpdesk.ui.tables import FIGURE, AmountColumn, BaseTable

from .models import CreditGrant, Invoice, InvoiceStatus, Usage
from .selectors import activity_names

# How an invoice's state reads: "Annulée" / "Storniert" (an invoice is feminine in French,
# and German books cancel an invoice by "Storno"), not the "Annulé" / "Abgebrochen" of a
# cancelled callback, which shares the model's label.
INVOICE_STATUS_LABELS: dict[str, Promise] = {
    InvoiceStatus.DRAFT: pgettext_lazy("invoice status", "Draft"),
    InvoiceStatus.ISSUED: pgettext_lazy("invoice status", "Issued"),
    InvoiceStatus.CANCELLED: pgettext_lazy("invoice status", "Cancelled"),
}
INVOICE_STATUS_CHOICES = list(INVOICE_STATUS_LABELS.items())


def invoice_status_label(status: str) -> str:
    return str(INVOICE_STATUS_LABELS.get(status, status))


class UsageTable(BaseTable):
    rate = AmountColumn()
    amount = AmountColumn()
    customer = tables.Column(verbose_name=_("Customer"), order_by=("customer__number",))
    reverses = tables.Column(
        verbose_name=_("Reversal"), accessor="reverses_id", empty_values=(None,), default=""
    )

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
        # Sorting is offered where an index serves it (date, customer, case, activity).
        orderable_fields = ("performed_on", "customer", "work_ref", "activity")
        row_attrs = {"class": lambda record: "text-body-secondary" if record.reverses_id else ""}

    @cached_property
    def activity_names(self) -> dict[str, str]:
        return activity_names()  # one query, on the first row that names its activity

    def render_activity(self, value: str) -> str:
        return self.activity_names.get(value, value)

    def value_activity(self, value: str) -> str:
        return self.activity_names.get(value, value)

    def render_customer(self, record) -> str:
        return f"{record.customer.number} {record.customer.name}"

    def value_customer(self, record) -> str:
        return record.customer.number

    def render_reverses(self, value) -> str:
        return _("reversal of #%(id)s") % {"id": value}


class CreditGrantTable(BaseTable):
    customer = tables.Column(verbose_name=_("Customer"), order_by=("customer__number",))
    used = tables.Column(verbose_name=_("Used minutes"), orderable=True, attrs=FIGURE)
    remaining = tables.Column(verbose_name=_("Remaining minutes"), orderable=True, attrs=FIGURE)

    class Meta(BaseTable.Meta):
        model = CreditGrant
        fields = ["customer", "source", "valid_from", "valid_to", "minutes", "used", "remaining"]
        order_by = ("valid_to", "customer")

    def render_customer(self, record) -> str:
        return f"{record.customer.number} {record.customer.name}"

    def value_customer(self, record) -> str:
        return record.customer.number


class DraftCheckColumn(tables.CheckBoxColumn):
    """A check box on each draft (issue several at once); issued invoices have none. The
    boxes belong to the list's "issue" form (``form="bulk-issue"``), which sits apart from
    the table so that the filters form is not nested in it."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault(
            "attrs",
            {
                "th__input": {
                    "data-check-all": "invoices",
                    "form": "bulk-issue",
                    "aria-label": _("Check all drafts"),
                    "class": "form-check-input",
                },
                "td__input": {
                    "form": "bulk-issue",
                    "class": "form-check-input",
                    "aria-label": _("Check this draft"),
                },
            },
        )
        super().__init__(accessor="pk", exclude_from_export=True, verbose_name="", **kwargs)

    def render(self, value, bound_column, record):
        if record.status != InvoiceStatus.DRAFT:
            return ""
        return super().render(value, bound_column, record)


class InvoiceTable(BaseTable):
    invoices = DraftCheckColumn()
    number = tables.Column(
        verbose_name=_("Number"),
        linkify=("billing:invoice", {"pk": tables.A("pk")}),
        default="",
        empty_values=(),
    )
    customer = tables.Column(verbose_name=_("Customer"), order_by=("customer__number",))
    period = tables.Column(
        verbose_name=_("Period"), accessor="period_start", order_by=("period_start",)
    )
    net = AmountColumn()
    vat = AmountColumn()
    total = AmountColumn()

    class Meta(BaseTable.Meta):
        model = Invoice
        fields = [
            "number",
            "kind",
            "status",
            "customer",
            "period",
            "issued_on",
            "due_on",
            "net",
            "vat",
            "total",
        ]
        sequence = ("invoices", "...")
        order_by = ("-id",)
        row_attrs = {"data-status": lambda record: record.status}
        # Sorting is offered where an index serves it.
        orderable_fields = ("number", "status", "customer", "period", "issued_on")

    def render_status(self, record) -> str:
        return invoice_status_label(record.status)  # ``value`` is the model's label already

    def value_status(self, record) -> str:
        return invoice_status_label(record.status)

    def render_number(self, record) -> str | Promise:
        return record.number or _("Draft")

    def value_number(self, record) -> str:
        return record.number or ""

    def render_customer(self, record) -> str:
        return f"{record.customer.number} {record.debtor_name or record.customer.name}"

    def value_customer(self, record) -> str:
        return record.customer.number

    def render_period(self, record) -> str:
        return f"{record.period_start:%d.%m.%Y}–{record.period_end:%d.%m.%Y}"
