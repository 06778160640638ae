"""Background work of billing, run by the django-tasks worker: PDFs and invoice runs."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks import task

from .models import Invoice, InvoiceRun, InvoiceRunStatus
from .services import invoice_drafts, invoice_pdf_stored

# The worker runs unseen: what it did and what failed is told here (settings.LOGGING).
logger = logging.getLogger(__name__)


@task()
def render_invoice_pdf(invoice_id: int) -> str:
    """Background: render the PDF of an invoice just issued and store it for good."""
    invoice = Invoice.objects.filter(pk=invoice_id).first()
    if invoice is None:
        logger.warning("PDF of invoice %s not rendered: the invoice no longer exists", invoice_id)
        return "missing"
    try:
        name = invoice_pdf_stored(invoice=invoice).pdf.name
    except Exception:
        logger.exception("PDF of invoice %s (%s) could not be rendered", invoice.number, invoice_id)
        raise
    logger.info("PDF of invoice %s stored as %s", invoice.number, name)
    return name


@task()
def run_invoice_drafts(run_id: int) -> str:
    """Background: build the drafts of a period, reporting progress on the run."""
    run = InvoiceRun.objects.get(pk=run_id)
    if run.status != InvoiceRunStatus.QUEUED:
        return run.status
    InvoiceRun.objects.filter(pk=run.pk).update(status=InvoiceRunStatus.RUNNING)
    logger.info("Invoice run %s (%s to %s) started", run.pk, run.period_start, run.period_end)

    def progress(done: int, total: int) -> None:
        if done == 1 or done == total or done % 20 == 0:
            InvoiceRun.objects.filter(pk=run.pk).update(customers_done=done, customers_total=total)

    try:
        drafts = invoice_drafts(
            period_start=run.period_start, period_end=run.period_end, progress=progress
        )
    except ValidationError as exc:  # e.g. no tariff for the period: tell the user
        InvoiceRun.objects.filter(pk=run.pk).update(
            status=InvoiceRunStatus.FAILED, error=" ".join(exc.messages), finished_at=timezone.now()
        )
        logger.warning("Invoice run %s refused: %s", run.pk, " ".join(exc.messages))
        return InvoiceRunStatus.FAILED
    except Exception as exc:
        InvoiceRun.objects.filter(pk=run.pk).update(
            status=InvoiceRunStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}",
            finished_at=timezone.now(),
        )
        logger.exception("Invoice run %s failed", run.pk)
        raise
    InvoiceRun.objects.filter(pk=run.pk).update(
        status=InvoiceRunStatus.DONE, drafts=len(drafts), finished_at=timezone.now()
    )
    logger.info("Invoice run %s done: %s drafts", run.pk, len(drafts))
    return InvoiceRunStatus.DONE
