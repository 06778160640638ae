#!/usr/bin/env python
"""The month-end invoice run: drafts, issues and PDFs per second, and one warm PDF.

    .venv/bin/python scripts/bench_invoices.py [--month 2026-10] [--pdfs 30] [--json FILE]

Times what Billing does at the end of a month, through the billing services:

1. ``invoice_drafts`` for the month (every customer with unbilled work or a subscription
   fee due): drafts per second, and the time per customer (median, p95);
2. ``invoice_issue`` of each draft (number, snapshot, usages marked invoiced; the PDF left
   out here, as the issue queues it for the worker): issues per second;
3. the PDF of one invoice, the one with the most lines, rendered twice through
   ``billing.services.invoice_pdf`` (WeasyPrint and the QR-bill): the second, warm
   render's time and its time per page;
4. ``--pdfs`` PDFs of the invoices just issued, one after the other: PDFs per second.

Everything runs in **one transaction that is rolled back** at the end: the demo data is
unchanged afterwards (the script counts invoices, lines, invoiced usages and the number
sequences before and after, and says so). The invoice numbers taken are given back by
the rollback. It still runs only on demo data (it refuses a database with customers
that are not demo data, as ``bench_posting.py`` does). ``--month`` defaults to the
latest complete month with work not yet invoiced (the demo data leaves last month open).
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

try:
    import benchlib  # sets Django up: before any import of the project
except ModuleNotFoundError:  # imported from elsewhere (the tests): it sits next to this file
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import benchlib

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from billing.models import Invoice, InvoiceLine, InvoiceNumberSequence, InvoiceStatus, Usage
from billing.services import invoice_drafts, invoice_issue, invoice_pdf

USER = "billing"


@dataclass
class Step:
    name: str
    what: str = ""
    count: int = 0
    seconds: float = 0.0
    times_ms: list[float] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return self.count / self.seconds if self.seconds else None


@dataclass
class WarmPdf:
    number: str
    lines: int
    pages: int
    bytes: int
    first_ms: float
    warm_ms: float

    @property
    def ms_per_page(self) -> float:
        return self.warm_ms / max(self.pages, 1)


@dataclass
class Report:
    period_start: date
    period_end: date
    steps: list[Step]
    warm: WarmPdf | None
    before: dict[str, object]
    after: dict[str, object]

    @property
    def unchanged(self) -> bool:
        return self.before == self.after


def month_bounds(month: str | None) -> tuple[date, date]:
    """The first and last day of ``YYYY-MM``, or of the latest complete month with work
    not yet invoiced (the month before this one if there is none)."""
    if month:
        found = re.fullmatch(r"(\d{4})-(\d{2})", month)
        if not found or not 1 <= int(found.group(2)) <= 12:
            raise ValueError(f"--month is a month such as 2026-10, not {month!r}")
        start = date(int(found.group(1)), int(found.group(2)), 1)
    else:
        this_month = timezone.localdate().replace(day=1)
        latest = (
            Usage.objects.filter(
                invoiced_at__isnull=True, billable_minutes__gt=0, performed_on__lt=this_month
            )
            .order_by("-performed_on")
            .values_list("performed_on", flat=True)
            .first()
        )
        start = (latest or this_month - timedelta(days=1)).replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return start, end


def state() -> dict[str, object]:
    """What the run writes, to prove that the rollback left it as it was."""
    return {
        "invoices": Invoice.objects.count(),
        "invoice lines": InvoiceLine.objects.count(),
        "invoiced usages": Usage.objects.filter(invoiced_at__isnull=False).count(),
        "number sequences": sorted(InvoiceNumberSequence.objects.values_list("year", "last")),
    }


def page_count(pdf: bytes) -> int:
    try:
        from pypdf import PdfReader
    except ImportError:  # pypdf is a development dependency: count the page objects
        return len(re.findall(rb"/Type\s*/Page\b", pdf))
    return len(PdfReader(io.BytesIO(pdf)).pages)


def _timed(call):
    started = time.perf_counter()
    result = call()
    return result, (time.perf_counter() - started) * 1000


def make_drafts(start: date, end: date) -> tuple[list[Invoice], Step]:
    step = Step("drafts", f"`invoice_drafts` {start:%d.%m.%Y}–{end:%d.%m.%Y}")
    marks = [time.perf_counter()]
    considered = [0]

    def progress(done: int, total: int) -> None:
        marks.append(time.perf_counter())
        considered[0] = total

    drafts = invoice_drafts(period_start=start, period_end=end, progress=progress)
    marks.append(time.perf_counter())
    step.count = len(drafts)
    step.seconds = marks[-1] - marks[0]
    # The time per customer (one progress call each): the first includes the candidate query.
    step.times_ms = [(b - a) * 1000 for a, b in pairwise(marks[:-1])]
    step.what += f", {considered[0]} customers considered"
    return drafts, step


def issue(drafts: list[Invoice]) -> tuple[list[Invoice], Step]:
    step = Step("issue", "`invoice_issue` of each draft (PDF left to the worker)")
    user = get_user_model().objects.filter(username=USER).first()
    issued = []
    for draft in drafts:
        try:
            invoice, took = _timed(
                lambda d=draft: invoice_issue(invoice=d, issued_by=user, render_pdf=False)
            )
        except ValidationError as exc:
            step.refused.append(f"{draft.customer_id}: {' '.join(exc.messages)}")
            continue
        issued.append(invoice)
        step.times_ms.append(took)
    step.count = len(issued)
    step.seconds = sum(step.times_ms) / 1000
    return issued, step


def warm_pdf(issued: list[Invoice]) -> WarmPdf | None:
    """The invoice with the most lines (of this run, else of the database), rendered twice."""
    candidates = Invoice.objects.exclude(status=InvoiceStatus.DRAFT).filter(kind="invoice")
    if issued:
        candidates = candidates.filter(pk__in=[i.pk for i in issued])
    invoice = candidates.annotate(n=Count("lines")).order_by("-n", "pk").first()
    if invoice is None:
        return None
    _pdf, first = _timed(lambda: invoice_pdf(invoice=invoice))
    pdf, warm = _timed(lambda: invoice_pdf(invoice=invoice))
    return WarmPdf(invoice.number, invoice.n, page_count(pdf), len(pdf), first, warm)


def pdfs(issued: list[Invoice], limit: int) -> Step:
    chosen = issued[:limit]
    step = Step("PDFs", f"`invoice_pdf` of {len(chosen)} of the {len(issued)} issued (WeasyPrint)")
    pages = 0
    for invoice in chosen:
        pdf, took = _timed(lambda i=invoice: invoice_pdf(invoice=i))
        pages += page_count(pdf)
        step.times_ms.append(took)
    step.count = len(chosen)
    step.seconds = sum(step.times_ms) / 1000
    step.what += f", {pages} pages"
    return step


class _RollBack(Exception):
    pass


def run(*, month: str | None = None, pdf_limit: int = 30) -> Report:
    """The whole run in one transaction, rolled back; refuses (``NotDemoData``) real data."""
    benchlib.require_demo_data()
    start, end = month_bounds(month)
    before = state()
    steps: list[Step] = []
    warm: WarmPdf | None = None
    try:
        with transaction.atomic():
            drafts, step = make_drafts(start, end)
            steps.append(step)
            issued, step = issue(drafts)
            steps.append(step)
            warm = warm_pdf(issued)
            steps.append(pdfs(issued, pdf_limit))
            raise _RollBack
    except _RollBack:
        pass
    return Report(start, end, steps, warm, before, state())


def tables(report: Report) -> str:
    rows = []
    for s in report.steps:
        spread = benchlib.spread(s.times_ms)
        rate = f"{s.rate:.1f}" if s.rate is not None else "–"
        refused = f" ({len(s.refused)} refused)" if s.refused else ""
        rows.append(
            [
                s.name,
                s.what + refused,
                s.count,
                f"{s.seconds:.2f}",
                rate,
                benchlib.ms(spread["median_ms"]),
                benchlib.ms(spread["p95_ms"]),
            ]
        )
    headers = ["step", "what", "done count", "total s", "per second /s", "median ms", "p95 ms"]
    text = benchlib.markdown_table(headers, rows)
    w = report.warm
    if w is not None:
        text += "\n\nOne invoice PDF, rendered twice (the second is warm):\n\n"
        text += benchlib.markdown_table(
            ["invoice", "lines count", "pages", "size", "first ms", "warm ms", "warm ms per page"],
            [
                [
                    w.number,
                    w.lines,
                    w.pages,
                    f"{w.bytes / 1024:.0f} KiB",
                    f"{w.first_ms:.0f}",
                    f"{w.warm_ms:.0f}",
                    f"{w.ms_per_page:.0f}",
                ]
            ],
        )
    messages = [m for step in report.steps for m in step.refused]
    if messages:
        text += "\n\nRefused (first 5): " + "; ".join(messages[:5])
    if report.unchanged:
        counts = ", ".join(f"{v} {k}" for k, v in report.before.items() if k != "number sequences")
        text += f"\n\nRolled back: the database is as before ({counts}; number sequences too)."
    else:
        text += f"\n\n**Not as before**: {report.before} → {report.after}"
    return text


def as_json(report: Report, env: dict) -> dict:
    return {
        "benchmark": "invoices",
        "environment": env,
        "period": [report.period_start, report.period_end],
        "steps": [
            {
                "name": s.name,
                "what": s.what,
                "count": s.count,
                "seconds": s.seconds,
                "rate_per_s": s.rate,
                "refused": s.refused,
                **benchlib.spread(s.times_ms),
            }
            for s in report.steps
        ],
        "warm_pdf": None
        if report.warm is None
        else {**report.warm.__dict__, "ms_per_page": report.warm.ms_per_page},
        "rolled_back_unchanged": report.unchanged,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--month", help="YYYY-MM (default: latest complete month not invoiced)")
    parser.add_argument("--pdfs", type=int, default=30, help="PDFs rendered for the rate (30)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    if args.pdfs < 0:
        parser.error("--pdfs must be 0 or more")
    benchlib.production_like()
    env = benchlib.environment()
    try:
        start, _end = month_bounds(args.month)
    except ValueError as exc:
        parser.error(str(exc))
    how = f"month {start:%m.%Y}, one transaction rolled back at the end"
    print(benchlib.environment_text(env, how))
    print()
    try:
        report = run(month=args.month, pdf_limit=args.pdfs)
    except benchlib.NotDemoData as exc:
        sys.exit(f"Refused: {exc}")
    print(tables(report))
    benchlib.write_json(args.json, as_json(report, env))
    if not report.unchanged:
        sys.exit(1)


if __name__ == "__main__":
    main()
