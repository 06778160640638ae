"""Who may reach what: every URL pattern of the resolver, for every role, GET and POST.

The table this test computes is the one printed in the README (section "Security"); the
test fails when the two differ, so the README cannot drift from what the code does. After
a deliberate change, rewrite the README's table with::

    WRITE_PERMISSION_MATRIX=1 .venv/bin/python -m pytest tests/q3helpdesk/test_permission_matrix.py

Each request runs in a transaction that is rolled back, so a POST of one role (discard a
draft, take a case) does not change what the next request sees.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, reverse

from q3helpdesk.roles import Role
from tests.q3helpdesk.world import World, build_world, site_patterns, url_of

pytestmark = pytest.mark.django_db

README = Path(settings.BASE_DIR) / "README.md"
START, END = "<!-- permission-matrix -->", "<!-- /permission-matrix -->"

ROLES: tuple[str, ...] = (
    "anonymous",
    "no role",
    Role.INFOLINE,
    Role.SUPPORT,
    Role.BILLING,
    Role.MANAGER,
    "superuser",
)


@pytest.fixture(autouse=True)
def desk_day(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("Europe/Zurich"))):
        yield


def users(user_with_role, admin_user) -> dict[str, object]:
    made: dict[str, object] = {"anonymous": None, "no role": user_with_role(None)}
    for role in Role:
        made[role] = user_with_role(role)
    made["superuser"] = admin_user
    return made


def outcome(response, login_urls: tuple[str, ...]) -> str:
    """yes (served, or a form error, or done and redirected), login, no (403), n/a (405).

    "login" is a redirect to a login page that asks to come back (``?next=``): logging out
    also ends on the login page, but that is the page doing its work.
    """
    status = response.status_code
    assert status < 500, f"{response.request['PATH_INFO']}: {status}"
    location = response.get("Location", "")
    if status in (301, 302) and location.startswith(login_urls) and "next=" in location:
        return "login"
    if status == 403:
        return "no"
    if status == 405:
        return "n/a"
    assert status != 404, f"{response.request['PATH_INFO']} points at nothing"
    return "yes"


def request(client: Client, user, method: str, url: str, login_urls) -> str:
    with transaction.atomic():
        if user is not None:
            client.force_login(user)
        response = getattr(client, method)(url, follow=False)
        transaction.set_rollback(True)
    client.logout()
    return outcome(response, login_urls)


def cell(get: str, post: str) -> str:
    if "login" in (get, post) and "yes" not in (get, post):
        return "login"
    methods = [name for name, seen in (("GET", get), ("POST", post)) if seen == "yes"]
    return " ".join(methods) or "–"


def matrix(world: World, who: dict[str, object]) -> list[tuple[str, list[str]]]:
    client = Client(raise_request_exception=True)
    login_urls = (reverse("login"), reverse("admin:login"))
    rows = []
    for route, name in site_patterns():
        url = url_of(world, name, route)
        cells = [
            cell(
                request(client, who[role], "get", url, login_urls),
                request(client, who[role], "post", url, login_urls),
            )
            for role in ROLES
        ]
        rows.append((f"`/{route}`", cells))
    return rows


def as_markdown(rows) -> str:
    head = "| URL | " + " | ".join(str(role) for role in ROLES) + " |"
    rule = "|---" * (len(ROLES) + 1) + "|"
    lines = [head, rule] + [f"| {route} | " + " | ".join(cells) + " |" for route, cells in rows]
    return "\n".join(lines)


def readme_table() -> str:
    text = README.read_text(encoding="utf-8")
    found = re.search(re.escape(START) + r"\n(.*?)\n" + re.escape(END), text, re.S)
    assert found, "the README has no permission matrix"
    return found.group(1).strip()


def write_readme_table(table: str) -> None:
    text = README.read_text(encoding="utf-8")
    begin, end = text.index(START) + len(START), text.index(END)
    README.write_text(text[:begin] + "\n" + table + "\n" + text[end:], encoding="utf-8")


def test_the_readme_states_who_may_reach_every_page(user_with_role, admin_user):
    computed = matrix(build_world(), users(user_with_role, admin_user))
    table = as_markdown(computed)
    if os.environ.get("WRITE_PERMISSION_MATRIX"):
        write_readme_table(table)
    assert table == readme_table()

    # What the table says, read as rules a reviewer can check at a glance.
    rows = dict(computed)
    column = {role: i for i, role in enumerate(ROLES)}

    def who(route: str) -> set[str]:
        return {str(r) for r in ROLES if rows[f"`/{route}`"][column[r]] not in ("–", "login")}

    desk = {"Infoline", "Support", "superuser"}
    # Only the login page, the language switch and the icon are open to anonymous users.
    open_to_all = {route for route, cells in rows.items() if cells[0] != "login"}
    assert open_to_all == {
        "`/accounts/login/`",
        "`/accounts/logout/`",
        "`/i18n/setlang/`",
        "`/favicon.ico`",
    }
    assert who("cases/<int:pk>/entries/") == desk
    assert who("inbox/") == desk
    assert who("billing/invoices/<int:pk>/issue/") == {"Billing", "superuser"}
    assert who("billing/invoices/") == {"Billing", "Manager", "superuser"}
    assert who("dashboard/") == {"Manager", "superuser"}
    assert rows["`/billing/invoices/<int:pk>/issue/`"][column[Role.MANAGER]] == "–"


def admin_patterns():
    for pattern in admin.site.get_urls():
        if isinstance(pattern, URLPattern) and pattern.name:
            yield pattern
        else:
            for inner in getattr(pattern, "url_patterns", []):
                if isinstance(inner, URLPattern) and inner.name:
                    yield inner


def admin_url(name: str) -> str | None:
    """The URL of an admin page for an existing object (None for a page needing more)."""
    parts = name.split("_")
    action = parts[-1]
    if action in ("changelist", "add"):
        return reverse(f"admin:{name}")
    if action in ("change", "delete", "history"):
        for app_label in {m._meta.app_label for m in apps.get_models()}:
            prefix = app_label + "_"
            if name.startswith(prefix):
                model_name = name[len(prefix) : -len(action) - 1]
                try:
                    model = apps.get_model(app_label, model_name)
                except LookupError:
                    continue
                obj = model._default_manager.first()
                if obj is not None:
                    return reverse(f"admin:{name}", args=[obj.pk])
        return None
    try:
        return reverse(f"admin:{name}")
    except Exception:  # a pattern with parameters we do not build (app_list, view_on_site)
        return None


def test_only_administrators_reach_the_admin(user_with_role, admin_user):
    build_world()
    who = users(user_with_role, admin_user)
    client = Client(raise_request_exception=True)
    login_urls = (reverse("login"), reverse("admin:login"))
    urls = sorted({u for p in admin_patterns() if (u := admin_url(p.name))})
    assert len(urls) > 60  # every model's list, add, change, delete and history pages
    urls.remove(reverse("admin:login"))
    urls.remove(reverse("admin:logout"))  # ends a session; refuses nothing
    for url in urls:
        for role in ROLES[:-1]:
            got = request(client, who[role], "get", url, login_urls)
            assert got in ("login", "no"), (url, role, got)
        # POST as a non-administrator is refused as well (no change through the admin).
        assert request(client, who[Role.BILLING], "post", url, login_urls) in ("login", "no")
        # The administrator gets in everywhere; some additions and deletions the admin
        # refuses on purpose (one company, the ledger is written by the desk), and the
        # autocomplete needs its query parameters.
        got = request(client, who["superuser"], "get", url, login_urls)
        refusable = ("/add/", "/delete/", "/autocomplete/")
        assert got == "yes" or (got == "no" and url.endswith(refusable)), url
        if url.endswith(("/change/", "/history/")) or url == reverse("admin:index"):
            assert got == "yes", url
