"""One desk day end to end in headless Chromium, in French and in German, at the desk's
laptop screen of 1366 × 768 (issue 14, "Done when").

A Support employee logs in and sees her work; a caller says "Mueller" and is found as
"Müller Treuhand AG", a second call is recognised by part of a contact's mobile number and
the new case names that contact; she opens a case and logs 12 minutes (the quote shows
before saving), schedules a callback with two windows, works it in the queue (claim, an
attempt "no answer" with a note, release, cancel with a reason), finds the case again by a
word of its subject, answers by e-mail, resolves the case and exports the case list for
Excel. Every page: no console or script error, nothing wider than the window. Screenshots
go to $DESK_DAY_SHOTS (default /tmp/deskday).

The texts the user reads are taken from the catalogue of the language under test, so the
test also fails when a message shows untranslated.
"""

import os
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from customers.services import (
    contact_create,
    customer_create,
    licence_create,
    rental_period_create,
)
from q3helpdesk.roles import Role
from tests.e2e.conftest import ARGS, CHROMIUM

SHOTS = Path(os.environ.get("DESK_DAY_SHOTS", "/tmp/deskday"))  # noqa: S108 (screenshots only)
WIDTH, HEIGHT = 1366, 768
BOM = b"\xef\xbb\xbf"


def desk_day_data(today: date) -> None:
    """Two customers with a current rental licence; the caller's has two contacts.

    Standard licence with one main module, annual rent CHF 480.00: 5 minutes of credit.
    """
    mueller = customer_create(
        name="Müller Treuhand AG",
        number="10002",
        phone="031 381 22 10",
        email="info@mueller-treuhand.example",
        postcode="3011",
        city="Bern",
        language="de",
    )
    contact_create(customer=mueller, name="Hans Müller", email="hans@mueller-treuhand.example")
    contact_create(
        customer=mueller,
        name="Beatrice Keller",
        phone="079 412 33 87",
        email="b.keller@mueller-treuhand.example",
    )
    other = customer_create(
        name="Fiduciaire Rossier Sàrl",
        number="10003",
        phone="026 322 45 10",
        city="Fribourg",
        language="fr",
    )
    for customer, variant in ((mueller, "standard"), (other, "profi")):
        licence = licence_create(customer=customer, variant=variant, modules=["COFI"])
        rental_period_create(
            licence=licence,
            start=date(today.year, 1, 1),
            end=date(today.year, 12, 31),
            annual_rent=Decimal("480.00"),
        )


class Day:
    """The page under test in one language: translated texts, checks and screenshots."""

    def __init__(self, page, base_url: str, language: str):
        self.page, self.url, self.language = page, base_url, language
        self.errors: list[str] = []
        self.shot = 0
        page.on(
            "console",
            lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))

    def t(self, msgid: str, **values) -> str:
        with translation.override(self.language):
            text = translation.gettext(msgid)
        assert self.language == "en" or text != msgid or not re.search("[a-z]", msgid), (
            f"not translated into {self.language}: {msgid}"
        )
        return text % values if values else text

    def go(self, path: str) -> None:
        response = self.page.goto(self.url + path)
        assert response.status == 200, (path, response.status)

    def check(self, step: str) -> None:
        """Screenshot, then no horizontal overflow and no error so far."""
        self.page.wait_for_load_state()
        self.shot += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{self.language}-{self.shot:02d}-{step}.png"))
        width = self.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"{step}: page {width[0]} px wide in {width[1]} px"
        assert self.page.evaluate("document.documentElement.lang") == self.language, step
        assert self.errors == [], f"{step}: {self.errors}"

    def message(self) -> str:
        """The text of the (single) confirmation the last action showed."""
        alert = self.page.locator("main > .alert-success")
        assert alert.count() == 1, self.page.locator("main > .alert").all_inner_texts()
        return " ".join(alert.inner_text().split())


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("language", ["fr", "de"])
def test_a_desk_day_in_french_and_german_at_1366(live_server, user_with_role, language):
    from playwright.sync_api import sync_playwright

    today = date.today()
    tomorrow = today + timedelta(days=1)
    desk_day_data(today)
    user_with_role(Role.SUPPORT, username="lea", first_name="Léa", last_name="Bärtschi")
    subject = "Kontenplan nach dem Jahresabschluss gesperrt"

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    try:
        context = browser.new_context(
            viewport={"width": WIDTH, "height": HEIGHT},
            locale=f"{language}-CH",
            extra_http_headers={"Accept-Language": f"{language}-CH,{language};q=0.9"},
            accept_downloads=True,
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        day = Day(page, live_server.url, language)
        t = day.t

        # 1. Log in: the home page is "my work".
        day.go("/accounts/login/")
        day.check("login")
        page.fill("#id_username", "lea")
        page.fill("#id_password", "pw")
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        assert page.locator("[data-testid=home-desk] [data-testid=lookup-form]").is_visible()
        assert page.locator("#lookup-q-home").evaluate("e => e === document.activeElement")
        assert t("My callbacks") in page.inner_text("[data-testid=home-my-callbacks]")
        my_cases = page.inner_text("[data-testid=home-my-cases]")
        assert t("My open cases") in my_cases
        assert t("No open case is assigned to you.") in my_cases
        assert page.locator("[data-testid=tariff-sheet]").get_attribute("open") is None  # folded
        day.check("home")

        # 2. A call: the caller says "Mueller"; one match opens the customer.
        page.fill("#lookup-q-home", "Mueller")
        page.press("#lookup-q-home", "Enter")
        page.wait_for_url("**/customers/10002/")
        assert page.inner_text("[data-testid=customer-name]").strip() == "Müller Treuhand AG"
        assert page.locator("[data-testid=banner-eligible]").is_visible()
        day.check("customer-by-name")

        # Next call, from Beatrice Keller's mobile: part of the number is typed.
        page.fill("#lookup-q-nav", "412 33 87")
        page.press("#lookup-q-nav", "Enter")
        page.wait_for_url(re.compile(r".*/customers/10002/\?contact=\d+$"))
        day.check("customer-by-contact-phone")
        page.click("[data-testid=new-case]")
        page.wait_for_url("**/cases/new/**")
        chosen = page.locator("#id_contact option:checked")
        assert chosen.inner_text().strip() == "Beatrice Keller"
        day.check("new-case")

        # 3. The case, and 12 minutes of support: the quote shows before saving.
        page.fill("#id_subject", subject)
        page.click("[data-testid=case-form] button[type=submit]")
        page.wait_for_url(re.compile(r".*/cases/\d+/$"))
        case_url = page.url
        reference = page.inner_text("h1 .text-body-secondary").strip()
        assert re.fullmatch(r"C-\d+", reference), reference
        assert "Beatrice Keller" in page.inner_text("main > p")
        summary_before = page.inner_text("[data-testid=case-summary]").strip()
        page.select_option("#id_activity", "support")
        page.fill("#id_minutes", "12")
        quote = t(
            "%(m)s min: %(c)s from credit, %(b)s billable, CHF %(a)s",
            m=15,
            c=5,
            b=10,
            a="29.17",  # 12 → 15 min; 5 from credit; 10 × 175 / 60
        )
        # a locator, not wait_for_function: the page's CSP forbids the eval() that one runs
        page.locator("#quote", has_text=quote).wait_for()
        assert page.locator("[data-testid=time-entry]").count() == 0
        day.check("quote")
        page.click("[data-testid=time-entry-form] button[type=submit]")
        entry = page.locator("[data-testid=time-entry]")
        entry.wait_for()
        cells = [c.strip() for c in entry.locator("td").all_inner_texts()]
        assert cells[0] == today.strftime("%d.%m.%Y")
        assert cells[2:7] == ["12", "15", "5", "10", "29.17"], cells
        summary = page.inner_text("[data-testid=case-summary]").strip()
        assert summary != summary_before
        assert summary == t(
            "%(l)s min logged · %(c)s charged · %(cr)s from credit · %(b)s billable · CHF %(a)s",
            l=12,
            c=15,
            cr=5,
            b=10,
            a="29.17",
        )
        day.check("time-logged")

        # 4. A callback with two windows, worked in the queue.
        page.click("[data-testid=schedule-callback]")
        page.wait_for_url("**/callbacks/new/")
        assert page.input_value("#id_phone")  # the contact's number is proposed
        page.fill("#id_reason", "Rückfrage zum Kontenplan")
        for n, (starts, ends) in enumerate((("08:30", "10:00"), ("14:00", "16:30"))):
            page.fill(f"#id_w-{n}-day", tomorrow.isoformat())
            page.fill(f"#id_w-{n}-starts", starts)
            page.fill(f"#id_w-{n}-ends", ends)
        day.check("callback-form")
        page.click("[data-testid=callback-form] button[type=submit]")
        page.wait_for_url(case_url)
        assert day.message() == t("Callback scheduled.")
        assert page.locator("[data-testid=case-callback-window]").count() == 2
        day.check("callback-scheduled")

        page.click("[data-testid=nav-callbacks]")
        page.wait_for_url("**/callbacks/")
        row = page.locator("[data-testid=callback-row]", has_text=reference)
        assert row.count() == 1
        assert "Müller Treuhand AG" in row.inner_text()
        assert row.locator("[data-testid=window]").count() == 2
        row.locator("[data-testid=claim]").click()
        page.wait_for_url("**/callbacks/")
        assert day.message() == t("Callback claimed: it is yours to call.")
        assert row.locator("[data-testid=claimed-by]").inner_text().strip() == "Léa Bärtschi"
        day.check("queue-claimed")

        # Claimed, it is on her home page with her open case.
        day.go("/")
        callback = page.locator("[data-testid=home-callback]", has_text=reference)
        assert callback.count() == 1 and t("mine") in callback.inner_text()
        assert callback.locator("[data-testid=window]").count() == 2
        case_item = page.locator("[data-testid=home-case]", has_text=reference)
        assert case_item.count() == 1 and subject in case_item.inner_text()
        day.check("home-my-work")

        day.go("/callbacks/")
        outcome = row.locator("[data-testid=attempt-form] select[name=outcome]")
        assert outcome.input_value() == ""  # nothing preselected: the outcome is chosen
        outcome.select_option("no_answer")
        row.locator("[data-testid=attempt-form] input[name=note]").fill("Combox, Nachricht")
        row.locator("[data-testid=attempt-form] button[type=submit]").click()
        page.wait_for_url("**/callbacks/")
        assert day.message() == t("Attempt recorded with its note.")
        attempt = row.locator("[data-testid=attempt]")
        assert attempt.count() == 1
        assert t("No answer") in attempt.inner_text() and "Combox, Nachricht" in (
            attempt.inner_text()
        )
        day.check("queue-attempt")

        row.locator("[data-testid=release]").click()
        page.wait_for_url("**/callbacks/")
        assert day.message() == t(
            "Callback of %(case)s released: a colleague can claim it.", case=reference
        )
        assert row.locator("[data-testid=claimed-by]").count() == 0
        assert row.locator("[data-testid=claim]").is_visible()
        day.check("queue-released")

        row.locator("[data-testid=cancel] summary").click()
        row.locator("[data-testid=cancel-form] input[name=reason]").fill(
            "Kundin hat selbst wieder angerufen"
        )
        day.check("queue-cancelling")
        row.locator("[data-testid=cancel-form] button[type=submit]").click()
        page.wait_for_url("**/callbacks/")
        assert day.message() == t(
            "Callback of %(case)s cancelled; the reason is noted on the case.", case=reference
        )
        assert row.count() == 0
        day.check("queue-cancelled")

        # 5. The case found again by a word of its subject, the word marked.
        day.go("/cases/?q=kontenplan")
        found = page.locator("table tbody tr", has_text=reference)
        assert found.count() == 1
        assert found.locator("mark").first.inner_text() == "Kontenplan"
        assert page.inner_text("[data-testid=search-note]").strip() == t("Best matches first")
        day.check("case-search")

        # 6. An answer by e-mail, in the conversation.
        found.get_by_role("link", name=reference).click()
        page.wait_for_url(case_url)
        page.fill("[data-testid=email-form] #id_subject", "Ihr Kontenplan")
        page.fill(
            "[data-testid=email-form] #id_body",
            "Guten Tag Frau Keller\n\nDer Kontenplan ist wieder freigegeben.",
        )
        day.check("email-form")
        page.click("[data-testid=email-form] button[type=submit]")
        page.wait_for_url(case_url)
        assert day.message() == t("The e-mail is being sent.")
        sent = page.locator("[data-testid=timeline-outgoing]")
        assert sent.count() == 1
        assert f"[{reference}] Ihr Kontenplan" in sent.inner_text()
        assert "b.keller@mueller-treuhand.example" in sent.inner_text()
        assert "Der Kontenplan ist wieder freigegeben." in page.inner_text("[data-testid=timeline]")
        day.check("email-sent")

        # 7. Resolved through the status form.
        page.select_option("#id_status", "resolved")
        page.click("form:has(#id_status) button[type=submit]")
        page.wait_for_url(case_url)
        resolved = t("Resolved")
        assert day.message() == t("Status changed to “%(status)s”.", status=resolved)
        assert page.inner_text("[data-testid=case-status]").strip() == resolved
        day.check("resolved")

        # 8. The case list, exported for Excel in Switzerland.
        day.go("/cases/?status=")
        assert page.locator("table tbody tr", has_text=reference).count() == 1
        day.check("case-list")
        with page.expect_download() as download_info:
            page.click("[data-testid=export-csv]")
        download = download_info.value
        assert download.suggested_filename.endswith(".csv")
        saved = SHOTS / f"{language}-cases.csv"
        download.save_as(saved)
        data = saved.read_bytes()
        assert data.startswith(BOM)
        lines = data[len(BOM) :].decode("utf-8").splitlines()
        assert ";" in lines[0], lines[0]
        row_text = next(line for line in lines if f"{reference};" in line)
        assert subject in row_text and "Müller Treuhand AG" in row_text
        assert f";{resolved};" in row_text  # the status in the user's language
        assert today.strftime("%d.%m.%Y") in row_text  # a Swiss date, not ISO
        assert not re.search(r"\d:\d\d\.\d", row_text)  # no microseconds
        assert day.errors == []
        context.close()
    finally:
        browser.close()
        playwright.stop()
