"""The customer base as the ERP export writes it (every customer with its contacts,
licences, rental periods and subscriptions, read in chunks with a fixed number of queries
per chunk), and what the report page of an ERP upload shows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch

from ..erp.columns import Record
from ..erp.outcomes import Outcome
from ..models import (
    Customer,
    ErpImport,
    Licence,
    SupportPlusRegistration,
    SupportPlusSubscription,
)

CHUNK = 2000  # customers read at once


def erp_imports_recent(*, last: int = 10):
    """The latest uploads as the upload page lists them: name, day and status only (the
    report of one upload may hold a row for each of 200 000 rows)."""
    return ErpImport.objects.only("pk", "name", "created_at", "status")[:last]


def customers_for_erp(*, chunk: int = CHUNK) -> Iterator[Customer]:
    """Every customer by number, its related rows prefetched (7 queries per chunk)."""
    registrations = SupportPlusRegistration.objects.select_related("contact").order_by("position")
    customers = Customer.objects.order_by("number").prefetch_related(
        "contacts",
        Prefetch(
            "licences",
            Licence.objects.order_by("number", "pk").prefetch_related("modules", "rental_periods"),
        ),
        "half_fare_subscriptions",
        Prefetch(
            "support_plus_subscriptions",
            SupportPlusSubscription.objects.order_by("start").prefetch_related(
                Prefetch("registrations", registrations)
            ),
        ),
    )
    yield from customers.iterator(chunk_size=chunk)


def unnumbered_licences() -> int:
    """Licences entered at the desk without the ERP's licence number: the export leaves
    them out, and the import refuses a new licence beside them (give them their numbers)."""
    return Licence.objects.filter(number__isnull=True).count()


@dataclass(frozen=True)
class ErpImportReport:
    """What the report page shows of an upload: the rows of one outcome (by default all
    but the unchanged ones), a page at a time, and how many customers had a refused row."""

    page: Page
    outcome: str
    counts: list[tuple[str, str, int]]  # (outcome, its label, rows)
    refused_customers: int


def erp_import_report(
    upload: ErpImport, *, outcome: str = "", page: str | int | None = 1, per_page: int = 100
) -> ErpImportReport:
    """The report of ``upload`` (its stored rows); an unknown ``outcome`` or ``page`` shows
    the default view or the nearest page, never an error."""
    if outcome not in Outcome.values:
        outcome = ""
    shown = [
        row
        for row in upload.rows
        if row["outcome"] == outcome or (not outcome and row["outcome"] != Outcome.UNCHANGED)
    ]
    paged = Paginator(shown, per_page).get_page(page)
    records, outcomes = dict(Record.choices), dict(Outcome.choices)
    for row in paged.object_list:
        row["record_label"] = records.get(row["record"], "?")
        row["outcome_label"] = outcomes.get(row["outcome"], "")
    refused = {row["customer"] for row in upload.rows if row["outcome"] == Outcome.REFUSED}
    refused.discard("")  # a row that names no customer
    return ErpImportReport(
        page=paged,
        outcome=outcome,
        counts=[
            (value, str(label), upload.counts.get(value, 0)) for value, label in Outcome.choices
        ],
        refused_customers=len(refused),
    )
