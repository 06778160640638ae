"""The desk's laptop screen, 1366 × 768: for every role, in French (the longest words) and
German, the main pages fit — the navigation on one line, nothing wider than the window,
no table scrolling sideways. Screenshots go to $LAYOUT_SHOTS (default /tmp/q3-layout)."""

import os
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from billing.services import invoice_drafts, invoice_issue, record_usage
from cases.callbacks import callback_schedule
from cases.services import case_create, time_entry_add
from customers.services import contact_create
from q3helpdesk.roles import Role
from tests.e2e.conftest import ARGS, CHROMIUM
from tests.factories import UserFactory, make_company, rental_customer

SHOTS = Path(os.environ.get("LAYOUT_SHOTS", "/tmp/q3-layout"))  # noqa: S108 (screenshots only)
WIDTH, HEIGHT = 1366, 768

# What a page must not do at 1366 px: be wider than the window, let a table scroll sideways,
# or wrap the navigation onto a second line.
MEASURE = """() => {
  const nav = document.querySelector('nav.navbar');
  const items = [...document.querySelectorAll('#main-nav > *')].filter(e => e.offsetParent);
  const tops = items.map(e => {
    const box = e.getBoundingClientRect();
    return Math.round(box.top + box.height / 2);
  });
  const wide = [...document.querySelectorAll('.table-responsive, .card, main')]
    .filter(e => e.scrollWidth > e.clientWidth + 1)
    .map(e => `${(e.dataset.testid || e.className).slice(0, 60)}`
              + ` +${e.scrollWidth - e.clientWidth}px`);
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    navHeight: Math.round(nav.getBoundingClientRect().height),
    middles: tops,
    wide: wide,
    // buttons must not break inside their label (e.g. the invoice run's "Lancer")
    brokenButtons: [...document.querySelectorAll('main .btn')].filter(b => b.offsetParent)
      .filter(b => {
        const line = parseFloat(getComputedStyle(b).lineHeight) || 24;
        return b.getBoundingClientRect().height > 2 * line + 4;
      })
      .map(b => b.innerText.trim().slice(0, 40)),
  };
}"""


def desk_data():
    today = date.today()
    customer = rental_customer(
        name="Schreinerei und Zimmerei Bärtschi-Müller Söhne AG, Niederlassung Freiburg",
        number="10002",
        variant="profi",
        modules=("COFI", "SAL"),
        rent=Decimal("50.00"),
        start=date(today.year, 1, 1),
        end=date(today.year, 12, 31),
    )
    contact = contact_create(customer=customer, name="Hans-Peter Bärtschi-Müller")
    case = case_create(
        customer=customer,
        contact=contact,
        channel="phone",
        subject="Lohnausweis und Quellensteuerabrechnung für die Grenzgängerinnen und Grenzgänger",
    )
    time_entry_add(
        case=case,
        activity="support",
        minutes=32,
        performed_on=today,
        note="Quellensteuer-Tarifcode geprüft, Anpassung der Lohnart 5100 erklärt",
    )
    callback_schedule(
        case=case,
        phone="+41 31 381 22 10",
        reason="Rückfrage zum Lohnausweis der Grenzgängerinnen",
        windows=[(today + timedelta(days=1), time(8, 0), time(11, 30))],
    )
    other = rental_customer(
        name="Fiduciaire Rossier & Associés Sàrl",
        rent=Decimal("50.00"),
        start=date(today.year, 1, 1),
        end=date(today.year, 12, 31),
    )
    for n, who in enumerate((customer, other)):
        record_usage(
            customer=who,
            activity="programming",
            minutes=95,
            performed_on=today,
            work_ref=f"C-9{n}",
            label="Individuelle Programmierung Exportschnittstelle",
        )
    make_company()
    first = today.replace(day=1)
    drafts = invoice_drafts(period_start=first, period_end=today)
    invoice_issue(invoice=drafts[0], issued_on=today)
    return {"case": case, "customer": customer, "draft": drafts[-1]}


def pages_of(data) -> dict[str, list[str]]:
    case, number, draft = data["case"].pk, data["customer"].number, data["draft"].pk
    desk = ["/", "/cases/", f"/cases/{case}/", f"/customers/{number}/", "/callbacks/", "/inbox/"]
    desk.append(reverse("customer_list"))
    billing = [
        "/",
        "/billing/invoices/",
        f"/billing/invoices/{draft}/",
        "/billing/ledger/",
        "/billing/grants/",
    ]
    return {
        "infoline": desk,
        "support": [*desk, "/callbacks/all/"],
        "billing": billing,
        "manager": [
            "/",
            "/dashboard/",
            "/billing/invoices/",
            "/billing/ledger/",
            "/callbacks/all/",
        ],
        "admin": ["/", "/cases/", f"/cases/{case}/", "/billing/invoices/", "/dashboard/"],
    }


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_main_pages_of_every_role_fit_1366_in_french_and_german(live_server, user_with_role):
    from playwright.sync_api import sync_playwright

    data = desk_data()
    for role in (Role.INFOLINE, Role.SUPPORT, Role.BILLING, Role.MANAGER):
        user_with_role(
            role,
            username=role.value.lower(),
            first_name="Anne-Catherine",
            last_name="Bärtschi-Vuilleumier",
        )
    UserFactory(
        username="admin",
        is_staff=True,
        is_superuser=True,
        first_name="Administratrice",
        last_name="Système",
    )
    pages = pages_of(data)
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems = []

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    try:
        for language in ("fr", "de"):
            for username, paths in pages.items():
                context = browser.new_context(
                    viewport={"width": WIDTH, "height": HEIGHT}, locale=f"{language}-CH"
                )
                context.add_cookies(
                    [{"name": "django_language", "value": language, "url": live_server.url}]
                )
                page = context.new_page()
                page.goto(f"{live_server.url}/accounts/login/")
                page.fill("#id_username", username)
                page.fill("#id_password", "pw")
                page.click("button[type=submit]")
                page.wait_for_load_state()
                for path in paths:
                    response = page.goto(live_server.url + path)
                    assert response.status == 200, (username, path, response.status)
                    name = f"{language}-{username}-{path.strip('/').replace('/', '_') or 'home'}"
                    page.screenshot(path=str(SHOTS / f"{name}.png"))
                    seen = page.evaluate(MEASURE)
                    if seen["scrollWidth"] > seen["innerWidth"]:
                        problems.append(f"{name}: page {seen['scrollWidth']} px wide")
                    if seen["navHeight"] > 64 or max(seen["middles"]) - min(seen["middles"]) > 4:
                        problems.append(f"{name}: navigation on more than one line {seen}")
                    if seen["brokenButtons"]:
                        problems.append(f"{name}: buttons on two lines: {seen['brokenButtons']}")
                    if seen["wide"]:
                        problems.append(f"{name}: scrolls sideways: {seen['wide']}")
                context.close()
    finally:
        browser.close()
        playwright.stop()
    assert problems == [], "\n".join(problems)
