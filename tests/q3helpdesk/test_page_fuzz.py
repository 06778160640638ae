"""No input a browser can send through the pages' forms and filters gives a 500.

For every URL pattern of the site, the page is opened as an administrator (who passes every
role), every ``<form>`` on it is read (fields, select options, method, action), and
hypothesis fills the fields with what users and attackers type: dates in the wrong order
or of no calendar, huge and negative numbers, Swiss amounts, NUL bytes and control
characters, very long text, markup. Each request runs in a rolled-back transaction.
The draws are derandomised so that CI is repeatable; raise ``FUZZ_EXAMPLES`` locally to
search longer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.q3helpdesk.world import build_world, site_patterns, url_of

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))

NASTY = [
    "",
    " ",
    "0",
    "-1",
    "1",
    "2",
    "99999999999999999999999",
    "-99999999999999",
    "1e309",
    "NaN",
    "1'234.50",
    "1234,5",
    "12.345",
    "31.12.2026",
    "2026-12-31",
    "2026-02-30",
    "31.02.2026",
    "2026-13-01",
    "0000-00-00",
    "9999-12-31",
    "10000-01-01",
    "12:00",
    "25:61",
    "\x00",
    "a\x00b",
    "line\r\nBcc: x@example.com",
    "\u2028",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "Müller & Söhne",
    "x" * 5000,
    "C-1",
    "+41 31 000 00 00",
    "anna@muster.example",
    "not-an-address@",
    "/\\evil.example",
    "https://evil.example/",
]


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> offered values


class FormReader(HTMLParser):
    """The forms of a page, as a browser would submit them."""

    def __init__(self, page_url: str):
        super().__init__()
        self.page_url = page_url
        self.forms: list[Form] = []
        self.select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            action = a.get("action") or self.page_url
            self.forms.append(Form(action=action, method=(a.get("method") or "get").lower()))
            return
        if not self.forms:
            return
        form = self.forms[-1]
        name = a.get("name")
        if tag in ("input", "textarea", "select") and name and name != "csrfmiddlewaretoken":
            form.fields.setdefault(name, [])
            if a.get("value"):
                form.fields[name].append(a["value"])
            self.select = name if tag == "select" else None
        elif tag == "option" and self.select and a.get("value") is not None:
            form.fields[self.select].append(a["value"])

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None


def forms_on(html: str, page_url: str) -> list[Form]:
    reader = FormReader(page_url)
    reader.feed(html)
    # Only the site's own forms (no external action); the language switch and logout are
    # tested elsewhere and only end the session here.
    return [
        f
        for f in reader.forms
        if f.action.startswith("/") and not f.action.startswith(("/accounts/logout/", "/i18n/"))
    ]


def value_for(offered: list[str]):
    return st.one_of(
        st.sampled_from(offered or [""]),
        st.sampled_from(NASTY),
        st.text(max_size=30),
        st.integers(min_value=-(10**12), max_value=10**12).map(str),
    )


# Every pattern, and the page of an issued invoice (its cancellation form).
PATTERNS = [*site_patterns(), ("billing/invoices/<int:pk>/", "billing:invoice#issued")]


@pytest.mark.parametrize(("route", "name"), PATTERNS, ids=[n for _, n in PATTERNS])
def test_no_form_or_filter_input_gives_a_500(route, name, admin_user, settings_media):
    with time_machine.travel(datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("Europe/Zurich"))):
        world = build_world()
        client = Client(raise_request_exception=True)
        client.force_login(admin_user)
        url = url_of(world, name, route)
        page = client.get(url)
        assert page.status_code < 500
        html = page.content.decode() if "html" in page.get("Content-Type", "") else ""
        forms = forms_on(html, url)
        if not forms:
            # A page without a form of its own still reads its query string (a filter
            # link, a partial): fuzz the usual list parameters against it.
            forms = [Form(action=url, method="get", fields={"page": [], "sort": [], "q": []})]

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(data=st.data())
        def submit(data):
            form = data.draw(st.sampled_from(forms))
            values = {}
            for field_name, offered in form.fields.items():
                if data.draw(st.booleans().map(lambda b: b or len(form.fields) == 1)):
                    values[field_name] = data.draw(value_for(offered))
            with transaction.atomic():
                client.force_login(admin_user)
                send = client.post if form.method == "post" else client.get
                response = send(form.action, values)
                transaction.set_rollback(True)
            assert response.status_code < 500, (form.action, values)

        submit()


@pytest.fixture
def settings_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
