"""The ledger's invariants, checked on the written data with aggregate queries.

The bulk seeding writes the ledger and the invoices without the services' per-row
checks, so ``seed_demo`` verifies afterwards what the project states of them (the
property tests in ``tests/billing/test_ledger_properties.py``, DESIGN R3–R12): a
violation is a bug in the seeding, and the command fails loudly instead of leaving a
demo database whose figures do not add up. Each check is a bounded number of queries
whatever the number of rows.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import Count, Exists, F, IntegerField, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from billing.models import (
    CreditGrant,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceLineKind,
    InvoiceLineUsage,
    InvoiceNumberSequence,
    InvoiceStatus,
    Usage,
    UsageDraw,
)
from billing.rules import charged_minutes, invoice_totals, line_amount, summed_money

LIMIT = 5  # examples named per broken invariant


def _examples(rows) -> str:
    return ", ".join(str(r) for r in rows[:LIMIT]) + (" …" if len(rows) > LIMIT else "")


def _grants() -> list[str]:
    """R3/R8: what is drawn from a grant lies between 0 and its minutes."""
    used = Coalesce(Sum("draws__minutes"), Value(0), output_field=IntegerField())
    bad = list(
        CreditGrant.objects.annotate(used=used)
        .filter(Q(used__lt=0) | Q(used__gt=F("minutes")))
        .values_list("pk", "minutes", "used")[: LIMIT + 1]
    )
    problems = [f"credit grants overdrawn (id, granted, drawn): {_examples(bad)}"] if bad else []
    # The roll-up of what is drawn (``used_minutes``) agrees with the draws.
    stale = list(
        CreditGrant.objects.annotate(used=used)
        .exclude(used_minutes=F("used"))
        .values_list("pk", "used_minutes", "used")[: LIMIT + 1]
    )
    if stale:
        problems.append(f"credit grants whose used minutes are not their draws: {_examples(stale)}")
    return problems


def _usages() -> list[str]:
    """Each posting: charged = credit + billable + free; its credit = the sum of its draws."""
    problems = []
    split = list(
        Usage.objects.exclude(
            charged_minutes=F("credit_minutes") + F("billable_minutes") + F("free_minutes")
        ).values_list("pk", flat=True)[: LIMIT + 1]
    )
    if split:
        problems.append(f"usages whose charged minutes do not split: {_examples(split)}")
    drawn = (
        UsageDraw.objects.filter(usage=OuterRef("pk"))
        .values("usage")
        .annotate(total=Sum("minutes"))
        .values("total")
    )
    credit = list(
        Usage.objects.annotate(
            drawn=Coalesce(Subquery(drawn, output_field=IntegerField()), Value(0))
        )
        .exclude(credit_minutes=F("drawn"))
        .values_list("pk", "credit_minutes", "drawn")[: LIMIT + 1]
    )
    if credit:
        problems.append(
            f"usages whose credit is not their draws (id, credit, drawn): {_examples(credit)}"
        )
    return problems


def _cases() -> list[str]:
    """Per case and activity: R5 (charged = logged rounded up to the unit), no negative
    part; per case, activity and rate: the amounts add up to the total's amount (R12)."""
    problems = []
    buckets = (
        Usage.objects.values("customer_id", "work_ref", "activity")
        .annotate(
            logged=Sum("logged_minutes"),
            charged=Sum("charged_minutes"),
            credit=Sum("credit_minutes"),
            billable=Sum("billable_minutes"),
            free=Sum("free_minutes"),
            unit=Max("tariff__unit_minutes"),
        )
        .order_by()
    )
    wrong = [
        (b["work_ref"], b["activity"])
        for b in buckets
        if b["charged"] != charged_minutes(b["logged"], b["unit"])
        or min(b["credit"], b["billable"], b["free"]) < 0
    ]
    if wrong:
        problems.append(f"cases charged against R5: {_examples(wrong)}")
    amounts = (
        Usage.objects.values("customer_id", "work_ref", "activity", "rate")
        .annotate(billable=Sum("billable_minutes"), amount=Sum("amount"))
        .order_by()
    )
    wrong_amounts = [
        (a["work_ref"], a["activity"], a["rate"])
        for a in amounts
        if summed_money(a["amount"]) != line_amount(a["billable"], a["rate"])
    ]
    if wrong_amounts:
        problems.append(
            f"case amounts that are not minutes × rate (R12): {_examples(wrong_amounts)}"
        )
    return problems


def _held_by_issued():
    return InvoiceLineUsage.objects.filter(
        usage=OuterRef("pk"),
        line__invoice__kind=InvoiceKind.INVOICE,
        line__invoice__status=InvoiceStatus.ISSUED,
    )


def _invoiced_usages() -> list[str]:
    """A usage is marked invoiced exactly when an issued invoice holds it, and at most one."""
    problems = []
    stray = list(
        Usage.objects.filter(invoiced_at__isnull=False)
        .exclude(Exists(_held_by_issued()))
        .values_list("pk", flat=True)[: LIMIT + 1]
    )
    if stray:
        problems.append(f"usages marked invoiced on no issued invoice: {_examples(stray)}")
    unmarked = list(
        Usage.objects.filter(invoiced_at__isnull=True)
        .filter(Exists(_held_by_issued()))
        .values_list("pk", flat=True)[: LIMIT + 1]
    )
    if unmarked:
        problems.append(f"usages on an issued invoice not marked invoiced: {_examples(unmarked)}")
    twice = list(
        InvoiceLineUsage.objects.filter(
            line__invoice__kind=InvoiceKind.INVOICE, line__invoice__status=InvoiceStatus.ISSUED
        )
        .values("usage_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("usage_id", flat=True)[: LIMIT + 1]
    )
    if twice:
        problems.append(f"usages on two issued invoices: {_examples(twice)}")
    return problems


def _invoice_totals() -> list[str]:
    """Each issued invoice: work lines = the usages they hold at minutes × rate; the lines
    add up to the net; VAT, rounding and total follow from it (R12)."""
    problems = []
    held = (
        InvoiceLine.objects.filter(kind=InvoiceLineKind.WORK, invoice__kind=InvoiceKind.INVOICE)
        .exclude(invoice__status=InvoiceStatus.DRAFT)
        .annotate(held=Coalesce(Sum("usages__billable_minutes"), Value(0)))
        .values_list("pk", "billable_minutes", "held", "rate", "amount")
    )
    wrong = [
        pk
        for pk, billable, held_minutes, rate, amount in held
        if billable != held_minutes or amount != line_amount(billable, rate)
    ]
    if wrong:
        problems.append(f"work lines that are not their usages (line ids): {_examples(wrong)}")
    sums: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
    lines = (
        InvoiceLine.objects.filter(invoice__kind=InvoiceKind.INVOICE)
        .exclude(invoice__status=InvoiceStatus.DRAFT)
        .values("invoice_id")
        .annotate(net=Sum("amount"))
        .order_by()
    )
    for row in lines:
        sums[row["invoice_id"]] = summed_money(row["net"])
    invoices = (
        Invoice.objects.filter(kind=InvoiceKind.INVOICE)
        .exclude(status=InvoiceStatus.DRAFT)
        .values_list("pk", "number", "net", "vat", "rounding", "total", "vat_rate")
    )
    wrong = [
        number
        for pk, number, net, vat, rounding, total, vat_rate in invoices
        if net != sums[pk] or (vat, rounding, total) != invoice_totals(net, vat_rate)
    ]
    if wrong:
        problems.append(f"invoices whose lines do not add up to their totals: {_examples(wrong)}")
    return problems


def _numbers() -> list[str]:
    """Invoice numbers per year: 1, 2, 3… without a gap, up to the year's sequence, dated
    in the order of their numbers."""
    problems = []
    by_year: dict[str, list[tuple[int, date]]] = defaultdict(list)
    for number, issued_on in Invoice.objects.filter(number__isnull=False).values_list(
        "number", "issued_on"
    ):
        year, _, n = number.partition("-")
        by_year[year].append((int(n), issued_on))
    last = dict(InvoiceNumberSequence.objects.values_list("year", "last"))
    for year, numbered in sorted(by_year.items()):
        numbered.sort(key=lambda item: item[0])
        if [n for n, _ in numbered] != list(range(1, len(numbered) + 1)):
            problems.append(f"invoice numbers of {year} have gaps or repeats")
        elif last.get(int(year)) != len(numbered):
            problems.append(
                f"the sequence of {year} stands at {last.get(int(year))}, not {len(numbered)}"
            )
        days = [day for _, day in numbered]
        if days != sorted(days):
            problems.append(f"invoice numbers of {year} do not follow their dates")
    return problems


def ledger_problems() -> list[str]:
    """Every broken invariant of the ledger and the invoices, described; empty when sound."""
    return [
        *_grants(),
        *_usages(),
        *_cases(),
        *_invoiced_usages(),
        *_invoice_totals(),
        *_numbers(),
    ]
