"""Invoices with the real background worker, and issuing at several desks at once."""

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from billing.models import Invoice, InvoiceRun
from billing.services import invoice_drafts, invoice_issue, invoice_run_start
from q3helpdesk.roles import Role
from tests.factories import make_company, make_usage, no_credit_customer

# The worker needs committed rows and its own transactions (as in production).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

MARCH = {"period_start": date(2026, 3, 1), "period_end": date(2026, 3, 31)}


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


def billable_customers(n: int):
    customers = []
    for i in range(n):
        customer = no_credit_customer()
        make_usage(customer, 10 + i)
        customers.append(customer)
    return customers


def test_a_run_is_done_by_the_worker_with_its_progress(client, user_with_role, settings):
    billable_customers(3)
    user = user_with_role(Role.BILLING)
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(
        "/billing/invoices/runs/", {"period_start": "2026-03-01", "period_end": "2026-03-31"}
    )
    assert response.status_code == 302
    run = InvoiceRun.objects.get()
    assert (run.status, run.created_by) == ("queued", user)
    assert DBTaskResult.objects.count() == 1 and not Invoice.objects.exists()
    progress = client.get(f"/billing/invoices/runs/{run.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in progress  # the page keeps asking while it runs

    run_worker()
    run.refresh_from_db()
    assert (run.status, run.customers_done, run.customers_total, run.drafts) == ("done", 3, 3, 3)
    assert Invoice.objects.filter(status="draft").count() == 3
    done = client.get(f"/billing/invoices/runs/{run.pk}/").content.decode()
    assert "every 1s" not in done and "3 drafts" in done

    with pytest.raises(ValidationError, match="No tariff"):
        invoice_run_start(period_start=date(2000, 1, 1), period_end=date(2000, 1, 31))


def test_a_second_run_of_the_same_period_waits_for_the_first():
    invoice_run_start(**MARCH)
    with pytest.raises(ValidationError, match="already under way"):
        invoice_run_start(**MARCH)
    assert InvoiceRun.objects.count() == 1


def test_the_worker_renders_and_stores_the_pdf_after_the_issue(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    make_company()
    (customer,) = billable_customers(1)
    (draft,) = invoice_drafts(**MARCH, customers=[customer])
    with transaction.atomic():
        invoice = invoice_issue(invoice=draft, issued_on=date(2026, 4, 1))
        assert DBTaskResult.objects.count() == 0  # queued only once the issue is committed
    assert DBTaskResult.objects.count() == 1
    run_worker()
    invoice.refresh_from_db()
    assert invoice.pdf.name == "invoices/2026/2026-00001.pdf"
    assert (tmp_path / invoice.pdf.name).read_bytes().startswith(b"%PDF")


@pytest.mark.postgresql
def test_two_desks_issuing_at_once_get_distinct_numbers_and_one_draft_is_issued_once():
    make_company()
    drafts = invoice_drafts(**MARCH, customers=billable_customers(4))
    # Desks 1 and 2 race for the same draft; desks 3-5 issue the other drafts.
    targets = [drafts[0], drafts[0], drafts[1], drafts[2], drafts[3]]
    barrier = threading.Barrier(len(targets))
    numbers, errors = [], []

    def issue(draft):
        try:
            barrier.wait()
            with translation.override("en"):  # a thread has its own language
                numbers.append(invoice_issue(invoice=draft, issued_on=date(2026, 4, 1)).number)
        except ValidationError as exc:
            errors.append(" ".join(exc.messages))
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(d,)) for d in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(numbers) == ["2026-00001", "2026-00002", "2026-00003", "2026-00004"]
    assert len(errors) == 1 and "already issued" in errors[0]
    assert sorted(Invoice.objects.values_list("number", flat=True)) == sorted(numbers)
