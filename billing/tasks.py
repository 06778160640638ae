"""Background work of billing, run by the django-tasks worker: PDFs and invoice runs."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from .models import Invoice, InvoiceRun, InvoiceRunStatus, InvoiceStatus


def store_invoice_pdf(invoice: Invoice) -> Invoice:
    """Render and store the PDF of an issued invoice once; later calls keep the stored one."""
    from .pdf import invoice_pdf

    if invoice.pdf or invoice.status == InvoiceStatus.DRAFT:
        return invoice
    content = invoice_pdf(invoice=invoice)
    field = invoice.pdf
    name = field.storage.save(
        field.field.generate_filename(invoice, f"{invoice.number}.pdf"), ContentFile(content)
    )
    with transaction.atomic():
        stored = Invoice.objects.filter(pk=invoice.pk, pdf="").transition(pdf=name)
    if not stored:  # rendered meanwhile by someone else: keep theirs
        field.storage.delete(name)
    invoice.refresh_from_db()
    return invoice


@task()
def render_invoice_pdf(invoice_id: int) -> str:
    """Background: render the PDF of an invoice just issued and store it for good."""
    invoice = Invoice.objects.filter(pk=invoice_id).first()
    if invoice is None:
        return "missing"
    return store_invoice_pdf(invoice).pdf.name


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
