"""End to end in headless Chromium: a manager reads the dashboard, the charts draw the
server's numbers, a figure opens the list behind it and the period picker works."""

from datetime import date

import pytest

from cases.services import case_create, time_entry_add
from q3helpdesk.roles import Role
from tests.factories import rental_customer


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_manager_reads_the_month_and_opens_the_list_behind_a_figure(
    live_server, request, user_with_role
):
    user_with_role(Role.MANAGER, username="martin")
    today = date.today()
    customer = rental_customer(
        name="Fiduciaire Muster SA",
        start=today.replace(month=1, day=1),
        end=today.replace(month=12, day=31),
    )
    for channel, minutes in (("phone", 12), ("email", 3), ("phone", 7)):
        case = case_create(customer=customer, channel=channel, subject="Clôture")
        time_entry_add(case=case, activity="support", minutes=minutes, performed_on=today)

    page = request.getfixturevalue("browser_page")
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "martin")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.click("[data-testid=nav-dashboard]")

    assert page.inner_text("[data-testid=value-opened]") == "3"
    # 15 + 5 + 10 charged: the first 5 from the standard licence's credit
    assert page.inner_text("[data-testid=value-credit]") == "5 min"
    assert page.inner_text("[data-testid=value-billable]") == "25 min"
    # Chart.js drew every chart from the numbers the server sent (its deferred scripts run
    # before "load"; on a busy machine the figures can be read before that)
    page.wait_for_load_state("load")
    drawn = page.evaluate(
        """() => [...document.querySelectorAll('canvas[data-chart]')].map(c => {
             const chart = Chart.getChart(c);
             return [c.dataset.chart, chart ? chart.data.datasets.map(
               d => d.data.reduce((a, b) => a + (b || 0), 0)) : null];
           })"""
    )
    totals = dict(drawn)
    assert set(totals) == {"cases", "minutes", "credit", "service", "top"}
    assert sum(totals["cases"]) == 3  # phone 2 + e-mail 1
    assert sum(totals["minutes"]) == 30
    assert sum(totals["credit"]) == 5
    assert sum(totals["top"]) == 30

    page.click("[data-testid=value-opened]")
    page.wait_for_url("**/cases/?**")
    assert page.locator("table tbody tr").count() == 3

    page.go_back()
    page.select_option("#id_period", "last_month")
    page.click("[data-testid=period-form] button[type=submit]")
    page.wait_for_url("**period=last_month**")
    assert page.inner_text("[data-testid=value-opened]") == "0"
    assert errors == []
