"""Login throttling (django-axes): an account+address is locked after a few wrong
passwords on both login pages, behind a proxy only when told to trust it, and the unlock
commands let the user in again."""

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import RequestFactory, override_settings

from q3helpdesk.accounts.client_ip import client_ip
from tests import factories

pytestmark = pytest.mark.django_db

USER_LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


def _attempt(client, url, username, password, **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("url", [USER_LOGIN, ADMIN_LOGIN])
def test_twenty_wrong_passwords_then_the_right_one_is_refused(client, url):
    user = factories.UserFactory(username="beatrice", is_staff=True)
    for _ in range(20):
        _attempt(client, url, user.username, "wrong")
    response = _attempt(client, url, user.username, "pw")
    assert response.status_code == 429
    assert not _logged_in(client)
    assert 'data-testid="locked-out"' in response.content.decode()


def test_the_limit_comes_from_the_settings_and_a_right_password_before_it_resets(client):
    user = factories.UserFactory(username="isabelle")
    for _ in range(4):
        assert _attempt(client, USER_LOGIN, user.username, "wrong").status_code == 200
    assert _attempt(client, USER_LOGIN, user.username, "pw").status_code == 302
    assert _logged_in(client)
    with override_settings(AXES_FAILURE_LIMIT=2):
        client.logout()
        _attempt(client, USER_LOGIN, user.username, "wrong")
        _attempt(client, USER_LOGIN, user.username, "wrong")
        assert _attempt(client, USER_LOGIN, user.username, "pw").status_code == 429


def test_the_lock_holds_for_one_account_from_one_address(client):
    locked = factories.UserFactory(username="locked")
    other = factories.UserFactory(username="other")
    for _ in range(5):
        _attempt(client, USER_LOGIN, locked.username, "wrong")
    assert _attempt(client, USER_LOGIN, locked.username, "pw").status_code == 429
    assert _attempt(client, USER_LOGIN, other.username, "pw").status_code == 302
    client.logout()
    elsewhere = _attempt(client, USER_LOGIN, locked.username, "pw", REMOTE_ADDR="10.1.2.3")
    assert elsewhere.status_code == 302


@pytest.mark.parametrize(("language", "words"), [("fr", "Connexion"), ("de", "Anmelden")])
def test_the_lockout_page_speaks_the_language_of_the_user(client, language, words):
    user = factories.UserFactory(username="stefan")
    for _ in range(5):
        _attempt(client, USER_LOGIN, user.username, "wrong", HTTP_ACCEPT_LANGUAGE=language)
    response = _attempt(client, USER_LOGIN, user.username, "pw", HTTP_ACCEPT_LANGUAGE=language)
    html = response.content.decode()
    assert response.status_code == 429
    assert f'<html lang="{language}">' in html
    assert words in html
    assert "15" in html  # the cool-off, in minutes


def test_x_forwarded_for_is_ignored_unless_a_proxy_is_trusted(client):
    user = factories.UserFactory(username="martin")
    # A client that invents a new address for each try is still one address.
    for i in range(5):
        _attempt(client, USER_LOGIN, user.username, "wrong", HTTP_X_FORWARDED_FOR=f"1.2.3.{i}")
    refused = _attempt(client, USER_LOGIN, user.username, "pw", HTTP_X_FORWARDED_FOR="1.2.3.99")
    assert refused.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_the_forwarded_address_counts(client):
    user = factories.UserFactory(username="anna")
    # Everyone comes through the proxy (one REMOTE_ADDR); one client is locked, not all.
    for _ in range(5):
        _attempt(client, USER_LOGIN, user.username, "wrong", HTTP_X_FORWARDED_FOR="203.0.113.7")
    locked = _attempt(client, USER_LOGIN, user.username, "pw", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert locked.status_code == 429
    other = _attempt(client, USER_LOGIN, user.username, "pw", HTTP_X_FORWARDED_FOR="198.51.100.4")
    assert other.status_code == 302
    assert AccessAttempt.objects.get().ip_address == "203.0.113.7"


@pytest.mark.parametrize(
    ("proxies", "header", "expected"),
    [
        (0, "203.0.113.7", "10.0.0.1"),
        (1, "203.0.113.7", "203.0.113.7"),
        # The left part is the client's own (it could be anything): the proxy's entry wins.
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        # Fewer entries than proxies, garbage, nothing: the connection's address.
        (2, "203.0.113.7", "10.0.0.1"),
        (1, "not-an-address", "10.0.0.1"),
        (1, "", "10.0.0.1"),
    ],
)
def test_client_ip(settings, proxies, header, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=header)
    assert client_ip(request) == expected


@pytest.mark.parametrize(
    "command",
    [
        ("axes_reset",),
        ("axes_reset_username", "locked"),
        ("axes_reset_ip", "127.0.0.1"),
    ],
)
def test_the_unlock_commands_let_the_user_in(client, command):
    user = factories.UserFactory(username="locked")
    for _ in range(5):
        _attempt(client, USER_LOGIN, user.username, "wrong")
    assert _attempt(client, USER_LOGIN, user.username, "pw").status_code == 429
    call_command(*command)
    assert _attempt(client, USER_LOGIN, user.username, "pw").status_code == 302
    assert _logged_in(client)


def test_an_administrator_sees_the_lockouts_in_the_admin(client, admin_user):
    user = factories.UserFactory(username="locked")
    for _ in range(5):
        _attempt(client, USER_LOGIN, user.username, "wrong")
    client.force_login(admin_user)
    page = client.get("/admin/axes/accessattempt/")
    assert page.status_code == 200
    assert "locked" in page.content.decode()
