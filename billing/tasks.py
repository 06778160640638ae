"""Background work of billing, run by the django-tasks worker: PDFs and invoice runs."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks import task

from .models import Invoice, InvoiceRun, InvoiceRunStatus


@task()
def render_invoice_pdf(invoice_id: int) -> str:
    """Background: render the PDF of an invoice just issued and store it for good."""
    from .services import invoice_pdf_stored

    invoice = Invoice.objects.filter(pk=invoice_id).first()
    if invoice is None:
        return "missing"
    return invoice_pdf_stored(invoice=invoice).pdf.name


@task()
def run_invoice_drafts(run_id: int) -> str:
    """Background: build the drafts of a period, reporting progress on the run."""
    from .services import invoice_drafts

    run = InvoiceRun.objects.get(pk=run_id)
    if run.status != InvoiceRunStatus.QUEUED:
        return run.status
    InvoiceRun.objects.filter(pk=run.pk).update(status=InvoiceRunStatus.RUNNING)

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
        return InvoiceRunStatus.FAILED
    except Exception as exc:
        InvoiceRun.objects.filter(pk=run.pk).update(
            status=InvoiceRunStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}",
            finished_at=timezone.now(),
        )
        raise
    InvoiceRun.objects.filter(pk=run.pk).update(
        status=InvoiceRunStatus.DONE, drafts=len(drafts), finished_at=timezone.now()
    )
    return InvoiceRunStatus.DONE
