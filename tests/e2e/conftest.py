"""The headless Chromium every browser test drives."""

import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page():
    """A page of a fresh headless Chromium; the test drives it, then it is closed.

    Database work happens before the page is asked for and after the test has finished
    with it: Playwright's sync API runs its own event loop, and an ORM call made while it
    runs would open a connection of its own.
    """
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    context = browser.new_context(locale="fr-CH", viewport={"width": 1400, "height": 900})
    try:
        yield context.new_page()
    finally:
        browser.close()
        playwright.stop()
