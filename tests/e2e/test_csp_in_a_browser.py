"""The Content-Security-Policy in a real browser: on the main pages of every role, the
admin included, Chromium blocks nothing (no `securitypolicyviolation` event, no console
error) — so no script, style or image of ours was silently dropped — and the progress
bars, whose width used to be an inline style, are still drawn to scale."""

from datetime import date, timedelta

import pytest

from billing.models import InvoiceRun
from billing.services import grants_sync_all, record_usage
from cases.models import InboundEmail
from cases.services import case_create
from q3helpdesk.roles import Role
from tests.e2e.conftest import ARGS, CHROMIUM
from tests.e2e.test_layout_1366 import desk_data
from tests.factories import UserFactory, rental_customer

# Registered before any script of the page runs, on every page the context opens.
LISTEN = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.reportViolation(
    `${e.effectiveDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile || location.pathname}:${e.lineNumber} ${e.sample || ""}`
  );
});
"""

# Each bar's width as a share of its track, next to the share its ARIA values say.
BARS = """() => [...document.querySelectorAll('.progress[aria-valuenow]')].map(p => {
  const bar = p.querySelector('.progress-bar');
  const max = Number(p.getAttribute('aria-valuemax')) || 0;
  return {
    drawn: bar.getBoundingClientRect().width / p.getBoundingClientRect().width,
    wanted: max ? Math.min(Number(p.getAttribute('aria-valuenow')) / max, 1) : 0,
  };
})"""


def pages_of(data) -> dict[str, list[str]]:
    case, number = data["case"].pk, data["customer"].number
    desk = [
        "/",
        "/lookup/?q=Bärtschi",
        f"/customers/{number}/",
        f"/customers/{data['credited'].number}/",
        f"/cases/{case}/",
        f"/cases/new/?customer={number}",
        "/callbacks/",
        "/callbacks/all/",
        "/inbox/",
        f"/inbox/{data['email'].pk}/",
        "/customers/",
    ]
    return {
        "infoline": desk,
        "support": desk,
        "billing": [
            "/billing/invoices/",
            f"/billing/invoices/{data['draft'].pk}/",
            "/billing/ledger/",
            "/billing/grants/",
        ],
        # the API's documentation: Swagger UI from our static files
        "manager": ["/dashboard/", "/api/docs/"],
        "admin": [
            "/admin/",
            "/admin/customers/customer/",
            f"/admin/customers/customer/{data['customer'].pk}/change/",
            f"/admin/customers/customer/{data['customer'].pk}/history/",
            "/admin/api/apiclient/add/",
            # the user's own page and the two-factor enrolment with its QR code
            "/account/",
            "/account/two-factor/setup/",
        ],
    }


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_page_of_any_role_breaks_the_content_security_policy(live_server, user_with_role):
    from playwright.sync_api import sync_playwright

    today = date.today()
    data = desk_data()
    # a licence with credit, partly used: its bar is neither empty nor full
    data["credited"] = rental_customer(
        number="10009",
        variant="profi",
        modules=("COFI", "SAL"),
        start=today.replace(month=1, day=1),
    )
    grants_sync_all(customers=[data["credited"]])
    record_usage(
        customer=data["credited"],
        activity="support",
        minutes=10,
        performed_on=today,
        work_ref="C-1",
        label="Lohnlauf",
    )
    data["credited_case"] = case_create(
        customer=data["credited"], channel="phone", subject="Lohnlauf Dezember"
    )
    data["email"] = InboundEmail.objects.create(
        message_id="<csp@unbekannt.example>",
        status="inbox",
        from_address="neu@unbekannt.example",
        from_name="Peter Neu",
        subject="Lohnausweis",
        text="Guten Tag\n\nIch brauche Hilfe beim Lohnlauf: https://example.ch/" + "x" * 120,
    )
    # A run three quarters done: its bar is drawn, and redrawn when htmx swaps it in.
    InvoiceRun.objects.create(
        period_start=today - timedelta(days=40),
        period_end=today - timedelta(days=10),
        status="running",
        customers_total=4,
        customers_done=3,
    )
    for role in (Role.INFOLINE, Role.SUPPORT, Role.BILLING, Role.MANAGER):
        user_with_role(role, username=role.value.lower())
    UserFactory(username="admin", is_staff=True, is_superuser=True)
    pages = pages_of(data)

    problems, bars = [], []
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    try:
        for username, paths in pages.items():
            context = browser.new_context(locale="fr-CH", viewport={"width": 1366, "height": 768})
            context.expose_function(
                "reportViolation", lambda text, u=username: problems.append(f"{u}: {text}")
            )
            context.add_init_script(LISTEN)
            page = context.new_page()
            page.on(
                "console",
                lambda m, u=username: (
                    problems.append(f"{u}: console {m.type}: {m.text}")
                    if m.type in ("error", "warning")
                    else None
                ),
            )
            page.on("pageerror", lambda e, u=username: problems.append(f"{u}: {e}"))
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", "pw")
            page.click("button[type=submit]")
            page.wait_for_load_state()
            for path in paths:
                response = page.goto(live_server.url + path)
                assert response.status == 200, (username, path, response.status)
                # the policy was there to break: the browser got it
                assert "script-src 'self'" in response.headers["content-security-policy"]
                bars.extend((username, path, bar) for bar in page.evaluate(BARS))
            if username == "support":
                # htmx read its settings from base.html: nothing to inject, nothing to eval
                config = page.evaluate(
                    "() => [htmx.config.includeIndicatorStyles, htmx.config.allowEval]"
                )
                assert config == [False, False]
                # an htmx fragment: the cost preview of a time entry on the case page
                page.goto(f"{live_server.url}/cases/{data['credited_case'].pk}/")
                page.select_option("#id_activity", "support")
                with page.expect_response("**/entries/quote/**"):
                    page.fill("#id_minutes", "25")
                # ... and the time entry it posts: the entries and the credit are swapped in
                page.click("[data-testid=time-entry-form] button[type=submit]")
                page.locator("[data-testid=time-entry]").first.wait_for()
                page.wait_for_timeout(200)
            if username == "billing":
                # the running invoice run polls its progress every second (an htmx swap)
                page.goto(f"{live_server.url}/billing/invoices/")
                with page.expect_response("**/invoices/runs/**"):
                    pass
                page.wait_for_timeout(200)
                bars.extend((username, "after swap", bar) for bar in page.evaluate(BARS))
            context.close()
    finally:
        browser.close()
        playwright.stop()

    assert problems == [], "\n".join(problems)
    wrong = [(u, p, b) for u, p, b in bars if abs(b["drawn"] - b["wanted"]) > 0.02]
    assert wrong == []
    # the credit bars of the customer page and the invoice run were measured, not none
    assert {p for _, p, _ in bars} >= {"/customers/10009/", "after swap"}
    assert any(0 < b["wanted"] < 1 for _, _, b in bars)
