"""The usage ledger's page: its rows, their sums, and the kinds of minutes a posting
carries (the ledger's filter and the dashboard count alike)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy

from ..models import Usage
from ..rules import summed_money


def ledger_usages():
    """Every usage with what its row shows, for the ledger page."""
    return Usage.objects.select_related("customer", "contact")


def ledger_totals(usages) -> dict:
    """Sums of a (filtered) set of usages, in one query (the amount to the centime)."""
    totals = usages.order_by().aggregate(
        logged=Coalesce(Sum("logged_minutes"), 0),
        charged=Coalesce(Sum("charged_minutes"), 0),
        credit=Coalesce(Sum("credit_minutes"), 0),
        billable=Coalesce(Sum("billable_minutes"), 0),
        free=Coalesce(Sum("free_minutes"), 0),
        amount=Coalesce(Sum("amount"), Value(Decimal("0.00")), output_field=DecimalField()),
    )
    # SQLite sums decimals as floating point; round back to the centime.
    totals["amount"] = summed_money(totals["amount"])
    return totals


class LedgerMinutes(models.TextChoices):
    FREE = "free", gettext_lazy("Free")
    CREDIT = "credit", gettext_lazy("From credit")
    BILLABLE = "billable", gettext_lazy("Billable")
    UNBILLED = "unbilled", gettext_lazy("Billable, not invoiced yet")


def ledger_minutes_q(kind: str) -> Q:
    """The postings that carry minutes of ``kind`` (reversals included, so sums stay net)."""
    queries: dict[str, Q] = {
        LedgerMinutes.FREE: ~Q(free_minutes=0),
        LedgerMinutes.CREDIT: ~Q(credit_minutes=0),
        LedgerMinutes.BILLABLE: ~Q(billable_minutes=0),
        LedgerMinutes.UNBILLED: ~Q(billable_minutes=0) & Q(invoiced_at__isnull=True),
    }
    return queries[kind]
