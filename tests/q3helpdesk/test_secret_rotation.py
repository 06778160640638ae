"""Rotating SECRET_KEY as the README's security page says: the old key as a fallback keeps
the desk logged in; without it every session ends."""

import pytest

from q3helpdesk.roles import Role
from tests.q3helpdesk.test_settings import _settings_value

pytestmark = pytest.mark.django_db

OLD, NEW = "old-secret-" + "o" * 40, "new-secret-" + "n" * 40


def test_fallback_keys_come_from_the_environment():
    value = _settings_value("settings.SECRET_KEY_FALLBACKS", DEBUG="on", SECRET_KEY_FALLBACKS="a,b")
    assert value == "['a', 'b']"


@pytest.mark.parametrize(("fallbacks", "still_logged_in"), [([OLD], True), ([], False)])
def test_a_rotated_key_keeps_sessions_only_with_the_old_key_as_fallback(
    client, user_with_role, settings, fallbacks, still_logged_in
):
    settings.SECRET_KEY = OLD
    client.force_login(user_with_role(Role.INFOLINE))
    assert client.get("/cases/").status_code == 200
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW, fallbacks
    response = client.get("/cases/")
    assert (response.status_code == 200) is still_logged_in
    if not still_logged_in:
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
