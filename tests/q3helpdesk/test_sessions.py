"""Sessions: an idle session ends after a desk shift, activity extends it without a write on
every request, logout ends it on the server, a password change ends the other ones."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client

from q3helpdesk.roles import Role

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 26, 7, 0, tzinfo=datetime.now().astimezone().tzinfo)


def _logged_in(client) -> bool:
    return client.get("/").status_code == 200


def test_an_idle_session_ends_after_eight_hours_and_activity_extends_it(client, user_with_role):
    user = user_with_role(Role.SUPPORT)
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(user)
        clock.shift(timedelta(hours=7))
        assert _logged_in(client)
        clock.shift(timedelta(hours=7))  # 14 h after the login, 7 h after the last request
        assert _logged_in(client)
        clock.shift(timedelta(hours=8, minutes=1))
        assert not _logged_in(client)
        assert client.get("/")["Location"].startswith("/accounts/login/")


def test_the_protection_settings_come_from_the_environment():
    from tests.q3helpdesk.test_settings import PRODUCTION, _settings_value

    names = (
        "settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME.total_seconds(),"
        " settings.TRUSTED_PROXY_COUNT, settings.SESSION_COOKIE_AGE, settings.REQUIRE_2FA"
    )
    assert _settings_value(names, **PRODUCTION) == "5 900.0 0 28800 True"
    assert _settings_value(names, DEBUG="on") == "5 900.0 0 28800 False"
    configured = {
        "LOGIN_FAILURE_LIMIT": "8",
        "LOGIN_COOLOFF_MINUTES": "30",
        "TRUSTED_PROXY_COUNT": "1",
        "SESSION_IDLE_MINUTES": "60",
        "REQUIRE_2FA": "on",
    }
    assert _settings_value(names, DEBUG="on", **configured) == "8 1800.0 1 3600 True"


def test_the_session_is_written_again_at_most_every_five_minutes(client, user_with_role):
    user = user_with_role(Role.SUPPORT)
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(user)
        assert _logged_in(client)
        key = client.session.session_key

        def expiry():
            return Session.objects.get(session_key=key).expire_date

        first = expiry()
        clock.shift(timedelta(minutes=2))
        assert _logged_in(client)
        assert expiry() == first
        clock.shift(timedelta(minutes=4))
        assert _logged_in(client)
        assert expiry() == first + timedelta(minutes=6)


def test_logout_deletes_the_session_so_its_cookie_no_longer_works(client, user_with_role):
    user = user_with_role(Role.SUPPORT)
    client.force_login(user)
    cookie = client.cookies["sessionid"].value
    client.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=cookie).exists()
    thief = Client()
    thief.cookies["sessionid"] = cookie
    assert thief.get("/")["Location"].startswith("/accounts/login/")


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(user_with_role):
    user = user_with_role(Role.SUPPORT)
    here, elsewhere = Client(), Client()
    here.force_login(user)
    elsewhere.force_login(user)
    assert _logged_in(here) and _logged_in(elsewhere)
    response = here.post(
        "/account/",
        {
            "old_password": "pw",
            "new_password1": "Correct-Horse-Battery-9",
            "new_password2": "Correct-Horse-Battery-9",
        },
    )
    assert response["Location"] == "/account/"
    user.refresh_from_db()
    assert user.check_password("Correct-Horse-Battery-9")
    assert _logged_in(here)
    assert not _logged_in(elsewhere)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {
                "old_password": "wrong",
                "new_password1": "Xy-12345-ab",
                "new_password2": "Xy-12345-ab",
            },
            "old_password",
        ),
        (
            {"old_password": "pw", "new_password1": "Xy-12345-ab", "new_password2": "Xy-12345-ac"},
            "new_password2",
        ),
        ({"old_password": "pw", "new_password1": "demo", "new_password2": "demo"}, "new_password2"),
        ({}, "old_password"),
    ],
)
def test_a_wrong_password_change_is_refused_with_a_message(client, user_with_role, data, field):
    user = user_with_role(Role.SUPPORT)
    client.force_login(user)
    response = client.post("/account/", data)
    assert response.status_code == 200
    assert response.context["password_form"].errors[field]
    user.refresh_from_db()
    assert user.check_password("pw")


def test_my_account_is_in_the_user_menu(client, user_with_role):
    client.force_login(user_with_role(Role.INFOLINE))
    assert 'href="/account/"' in client.get("/").content.decode()
    assert client.get("/account/").status_code == 200


def test_my_account_needs_a_login(client):
    assert client.get("/account/")["Location"].startswith("/accounts/login/")
