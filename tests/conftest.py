import shutil
from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import translation

from billing.selectors.tariffs import tariffs_changed
from q3helpdesk.roles import Role
from tests import factories
from tests.support.imap import imap_server_reachable


def pytest_collection_modifyitems(config, items):
    """Tests that need real row locks run where there are some: on PostgreSQL (and tests of
    SQLite's own planner only on SQLite); browser tests run where Chromium is installed (CI
    installs it); IMAP tests where the test IMAP server answers.

    Elsewhere they are deselected (not skipped) and the summary says how many.
    """
    on_postgresql = connection.vendor == "postgresql"
    has_chromium = shutil.which("chromium") is not None
    # IMAP tests need the server of scripts/imap-test-server.sh (CI starts it).
    wants_imap = any(item.get_closest_marker("imap") for item in items)
    has_imap = wants_imap and imap_server_reachable()
    keep, drop = [], []
    for item in items:
        wrong_db = (item.get_closest_marker("postgresql") and not on_postgresql) or (
            item.get_closest_marker("sqlite") and on_postgresql
        )
        no_browser = item.get_closest_marker("browser") and not has_chromium
        no_imap = item.get_closest_marker("imap") and not has_imap
        (drop if wrong_db or no_browser or no_imap else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(autouse=True)
def english_messages():
    """Services speak the active language; tests read their messages in English.

    Pages are requested through the locale middleware and are tested in French (the
    default) unless a test asks for another language.
    """
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def fresh_tariff_rows():
    """Each test starts without the rows a process keeps of used tariffs: a test's rolled
    back tariff must not serve the next one (billing.selectors.tariffs)."""
    tariffs_changed()
    yield
    tariffs_changed()


@pytest.fixture
def today() -> date:
    return date(2026, 11, 26)


@pytest.fixture
def user_with_role(db):
    def make(role: Role | None, **kwargs):
        user = factories.UserFactory(**kwargs)
        if role is not None:
            user.groups.add(Group.objects.get(name=role.value))
        return user

    return make


@pytest.fixture
def admin_user(db):
    return factories.UserFactory(is_staff=True, is_superuser=True)
