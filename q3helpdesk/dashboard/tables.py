"""The dashboard's tables (each exports to CSV)."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cases.tables import CallbackTable
from q3helpdesk.ui.tables import BaseTable

DASHBOARD_PER_PAGE = 10


class TopCustomerTable(BaseTable):
    number = tables.Column(
        verbose_name=_("Customer number"),
        linkify=("customer_detail", {"number": tables.A("number")}),
    )
    name = tables.Column(verbose_name=_("Customer"))
    charged = tables.Column(verbose_name=_("Charged minutes"), attrs={"td": {"class": "text-end"}})
    credit = tables.Column(verbose_name=_("From credit"), attrs={"td": {"class": "text-end"}})
    billable = tables.Column(verbose_name=_("Billable"), attrs={"td": {"class": "text-end"}})

    class Meta(BaseTable.Meta):
        orderable = False
        per_page = DASHBOARD_PER_PAGE
        empty_text = _("No work in this period.")


class NearCreditTable(BaseTable):
    number = tables.Column(
        verbose_name=_("Customer number"),
        linkify=("customer_detail", {"number": tables.A("number")}),
    )
    name = tables.Column(verbose_name=_("Customer"))
    phone = tables.Column(verbose_name=_("Phone"))
    granted = tables.Column(verbose_name=_("Credit (min)"), attrs={"td": {"class": "text-end"}})
    used = tables.Column(verbose_name=_("Used (min)"), attrs={"td": {"class": "text-end"}})
    remaining = tables.Column(verbose_name=_("Left (min)"), attrs={"td": {"class": "text-end"}})
    share = tables.Column(
        verbose_name=_("Used"), accessor="used", attrs={"td": {"class": "text-end"}}
    )
    valid_to = tables.DateColumn(verbose_name=_("Valid until"), short=True)

    class Meta(BaseTable.Meta):
        orderable = False
        per_page = DASHBOARD_PER_PAGE
        empty_text = _("No customer is near the end of their credit.")

    def render_share(self, record):
        return format_html("{} %", self.value_share(record))

    def value_share(self, record) -> int:
        return record["used"] * 100 // record["granted"]


class OverdueCallbackTable(CallbackTable):
    """The callback list's columns, without those an open callback has no value for."""

    class Meta(CallbackTable.Meta):
        exclude = ("closed_at", "status", "first_attempt_at")
        orderable = False
        per_page = DASHBOARD_PER_PAGE
