"""End to end in a real headless Chromium (Debian's), driven by Playwright.

An Infoline employee answers a call from a known number, sees that support is allowed and
how much credit is left, opens a case, logs time (the quote shows before saving) and
schedules a callback that then waits in the queue.
"""

from datetime import date, timedelta

import pytest

from customers.services import (
    contact_create,
    customer_create,
    licence_create,
    rental_period_create,
)
from q3helpdesk.roles import Role


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_answer_a_call_open_a_case_log_time_and_schedule_a_callback(
    live_server, request, user_with_role
):
    from decimal import Decimal

    user_with_role(Role.INFOLINE, username="isabelle")
    today = date.today()
    customer = customer_create(
        name="Schreinerei Müller AG", number="10002", phone="031 381 22 10", language="de"
    )
    contact_create(customer=customer, name="Hans Müller")
    licence = licence_create(customer=customer, variant="profi", modules=["COFI", "SAL"])
    rental_period_create(
        licence=licence,
        start=date(today.year, 1, 1),
        end=date(today.year, 12, 31),
        annual_rent=Decimal("1440.00"),
    )
    page = request.getfixturevalue("browser_page")
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "isabelle")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")

    # The telephone system opens the lookup with the caller's number, written its own way.
    page.goto(f"{live_server.url}/lookup/?phone=0041313812210")
    page.wait_for_url("**/customers/10002/")
    assert page.locator("[data-testid=banner-eligible]").is_visible()
    assert "25" in page.inner_text("[data-testid=credit-remaining]")

    page.click("[data-testid=new-case]")
    page.select_option("#id_contact", label="Hans Müller")
    page.fill("#id_subject", "Lohnlauf Dezember")
    page.click("[data-testid=case-form] button[type=submit]")
    page.wait_for_url("**/cases/*/")

    page.select_option("#id_activity", "support")
    page.fill("#id_minutes", "32")
    # a locator, not wait_for_function: the page's CSP forbids the eval() that one runs
    page.locator("#quote", has_text="35 min").wait_for(timeout=5000)
    assert "25" in page.inner_text("#quote") and "29.17" in page.inner_text("#quote")
    page.click("[data-testid=time-entry-form] button[type=submit]")
    page.wait_for_selector("[data-testid=time-entry]")
    assert "CHF 29.17" in page.inner_text("[data-testid=case-summary]")  # 10 min × 175 / 60

    # The customer wants a call back tomorrow morning.
    page.click("[data-testid=schedule-callback]")
    page.fill("#id_reason", "Rückfrage Lohnausweis")
    page.fill("#id_w-0-day", (today + timedelta(days=1)).isoformat())
    page.fill("#id_w-0-starts", "10:00")
    page.fill("#id_w-0-ends", "11:30")
    page.click("[data-testid=callback-form] button[type=submit]")
    page.wait_for_selector("[data-testid=case-callbacks] li:has-text('Rückfrage Lohnausweis')")
    page.click("[data-testid=nav-callbacks]")
    row = page.locator("[data-testid=callback-row]")
    assert row.count() == 1 and "Schreinerei Müller AG" in row.inner_text()
    assert "+41 31 381 22 10" in row.inner_text()
    assert errors == []
