"""End to end in headless Chromium: a billing clerk invoices last month.

The run is done by the real background worker; the page follows its progress, the clerk
opens the draft, issues it, downloads the PDF and finally cancels it with a credit note.
"""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django_tasks_db.management.commands.db_worker import Worker

from billing.services import record_usage
from q3helpdesk.roles import Role
from tests.factories import make_company, rental_customer


def run_worker_in_a_thread():
    """The worker's loop (``db_worker --batch``) outside Playwright's event loop, as it runs
    beside a real server; a thread, because the live server's test database is in memory."""

    def work():
        try:
            Worker(
                queue_names=["default"],
                excluded_queue_names=[],
                interval=0,
                batch=True,
                backend_name="default",
                startup_delay=False,
                max_tasks=None,
                worker_id="browser-test",
            ).run()
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_run_last_month_issue_a_draft_download_the_pdf_and_cancel_it(
    live_server, request, user_with_role, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    user_with_role(Role.BILLING, username="beatrice")
    make_company()
    end = date.today().replace(day=1) - timedelta(days=1)
    start = end.replace(day=1)
    customer = rental_customer(
        name="Garage Rossi SA",
        rent=Decimal("50.00"),  # no credit: every minute is billable
        start=start.replace(month=1),
        end=start.replace(month=12, day=31),
    )
    record_usage(
        customer=customer,
        activity="support",
        minutes=20,
        performed_on=start + timedelta(days=3),
        work_ref="C-1",
        label="Clôture annuelle",
    )
    page = request.getfixturevalue("browser_page")
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    asked = []  # every final action asks first (desk.js); the clerk says yes, except once

    def answer(dialog):
        asked.append(dialog.message)
        dialog.dismiss() if "brouillon" in dialog.message else dialog.accept()

    page.on("dialog", answer)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "beatrice")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.click("[data-testid=nav-invoices]")

    # The form proposes last month; the run waits for the worker.
    assert page.input_value("#id_period_start") == start.isoformat()
    assert page.input_value("#id_period_end") == end.isoformat()
    page.click("[data-testid=run-form] button[type=submit]")
    page.wait_for_selector("[data-testid=run][data-status=queued]")
    run_worker_in_a_thread()
    page.wait_for_selector("[data-testid=run][data-status=done]", timeout=10000)  # htmx polls
    page.click("[data-testid=run] a")

    page.click("td a:has-text('Brouillon')")
    assert "Clôture annuelle" in page.inner_text("[data-testid=invoice-lines]")
    assert page.inner_text("[data-testid=net]") == "58.33"  # 20 min × 175 / 60
    assert page.inner_text("[data-testid=total]") == "63.05"  # + 8.1 % VAT 4.72
    page.click("[data-testid=discard-form] button[type=submit]")  # "no": nothing happens
    assert "jusqu'à la prochaine facturation" in asked[-1]
    assert page.is_visible("[data-testid=issue-form]")
    page.click("[data-testid=issue-form] button[type=submit]")
    assert len(asked) == 2  # issuing is final: it asked too
    title = page.inner_text("[data-testid=invoice-title]")
    assert title == f"Facture {date.today().year}-00001"

    pdf = page.request.get(live_server.url + page.get_attribute("[data-testid=pdf-link]", "href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    page.fill("#id_reason", "Adresse erronée")
    page.click("[data-testid=cancel-form] button[type=submit]")
    assert page.inner_text("[data-testid=invoice-title]").startswith("Note de crédit")
    assert page.inner_text("[data-testid=total]") == "-63.05"
    assert len(asked) == 3
    assert errors == []
