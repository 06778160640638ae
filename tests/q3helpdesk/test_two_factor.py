"""Two-factor login for superusers and Billing: enrolment from My account, the code page
on every URL until verified, recovery codes, removal; other roles are never asked."""

import re

import pytest
from django.test import override_settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from q3helpdesk.accounts import services
from q3helpdesk.roles import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("enforced")]

SETUP = "/account/two-factor/setup/"
VERIFY = "/account/two-factor/verify/"


@pytest.fixture
def enforced():
    with override_settings(REQUIRE_2FA=True):
        yield


def _code(device: TOTPDevice, offset: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time += offset * device.step
    return f"{totp.token():06d}"


def _enrolled(user) -> list[str]:
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return services.recovery_codes_regenerate(user=user)


@pytest.fixture
def billing(user_with_role):
    return user_with_role(Role.BILLING)


def test_a_billing_user_without_device_is_sent_to_the_enrolment_and_enrols(client, billing):
    client.force_login(billing)
    assert client.get("/billing/invoices/")["Location"] == f"{SETUP}?next=%2Fbilling%2Finvoices%2F"

    page = client.get(SETUP)
    html = page.content.decode()
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    assert "style=" not in svg and "<path" in svg
    device = TOTPDevice.objects.get(user=billing, confirmed=False)
    secret = page.context["secret"]
    assert secret in html and len(secret.replace(" ", "")) == 32

    done = client.post(SETUP, {"code": _code(device), "next": "/billing/invoices/"})
    codes = done.context["codes"]
    assert len(codes) == 10 and all(code in done.content.decode() for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/billing/invoices/").status_code == 200


def test_a_wrong_first_code_confirms_nothing(client, billing):
    client.force_login(billing)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=billing)
    response = client.post(SETUP, {"code": "000000" if _code(device) != "000000" else "111111"})
    assert response.status_code == 200 and response.context["form"].errors["code"]
    device.refresh_from_db()
    assert not device.confirmed and not StaticToken.objects.exists()
    assert client.get("/")["Location"].startswith(SETUP)


@pytest.mark.parametrize("path", ["/", "/admin/", "/billing/invoices/", "/account/"])
def test_an_enrolled_superuser_must_enter_a_code_on_every_page(client, admin_user, path):
    _enrolled(admin_user)
    client.force_login(admin_user)
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith(f"{VERIFY}?next=")


def test_the_code_page_accepts_a_code_of_the_app_and_returns_to_the_page(client, billing):
    _enrolled(billing)
    client.force_login(billing)
    device = TOTPDevice.objects.get(user=billing)
    empty = client.post(VERIFY, {})
    assert empty.status_code == 200 and empty.context["form"].errors["code"]
    wrong = client.post(VERIFY, {"code": "12345x", "next": "/billing/invoices/"})
    assert wrong.status_code == 200 and wrong.context["form"].errors["code"]
    right = client.post(VERIFY, {"code": _code(device), "next": "/billing/invoices/"})
    assert right["Location"] == "/billing/invoices/"
    assert client.get("/billing/invoices/").status_code == 200


def test_a_recovery_code_works_once(client, billing):
    codes = _enrolled(billing)
    client.force_login(billing)
    assert client.post(VERIFY, {"code": codes[0].upper()})["Location"] == "/"
    assert StaticToken.objects.count() == 9
    client.logout()
    client.force_login(billing)
    again = client.post(VERIFY, {"code": codes[0]})
    assert again.status_code == 200 and again.context["form"].errors["code"]


def test_the_code_page_does_not_redirect_elsewhere(client, billing):
    _enrolled(billing)
    client.force_login(billing)
    device = TOTPDevice.objects.get(user=billing)
    response = client.post(VERIFY, {"code": _code(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_logout_language_and_static_files_need_no_code(client, admin_user):
    _enrolled(admin_user)
    client.force_login(admin_user)
    assert client.get("/static/css/q3helpdesk.css").status_code == 200
    assert client.post("/i18n/setlang/", {"language": "de", "next": "/"})["Location"] == "/"
    assert client.get(VERIFY).status_code == 200
    assert client.post("/accounts/logout/")["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session


def test_htmx_requests_are_sent_to_the_code_page_whole(client, billing):
    _enrolled(billing)
    client.force_login(billing)
    response = client.get("/billing/invoices/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith(VERIFY)


def test_an_unverified_user_cannot_replace_the_device_through_the_enrolment(client, billing):
    _enrolled(billing)
    client.force_login(billing)
    assert client.get(SETUP)["Location"] == "/account/"
    assert client.post(SETUP, {"code": "123456"})["Location"] == "/account/"
    assert TOTPDevice.objects.filter(user=billing).count() == 1


@pytest.mark.parametrize("role", [Role.INFOLINE, Role.SUPPORT, Role.MANAGER])
def test_other_roles_are_never_asked(client, user_with_role, role):
    user = user_with_role(role)
    client.force_login(user)
    assert client.get("/").status_code == 200
    assert client.get("/account/").status_code == 200
    assert client.get(SETUP).status_code == 403
    assert client.get(VERIFY).status_code == 403


def test_not_enforced_when_the_setting_is_off(client, billing):
    _enrolled(billing)
    client.force_login(billing)
    with override_settings(REQUIRE_2FA=False):
        assert client.get("/billing/invoices/").status_code == 200


def _verified(client, user):
    client.force_login(user)
    device = TOTPDevice.objects.get(user=user)
    assert client.post(VERIFY, {"code": _code(device)}).status_code == 302


def test_new_recovery_codes_replace_the_old_ones(client, billing):
    old = _enrolled(billing)
    _verified(client, billing)
    page = client.get("/account/")
    assert page.context["recovery_codes_left"] == 10
    response = client.post("/account/two-factor/recovery-codes/")
    new = response.context["codes"]
    assert len(new) == 10
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(new)
    assert not set(old) & set(new)


def test_removing_the_device_sends_the_user_to_the_enrolment_again(client, billing):
    _enrolled(billing)
    _verified(client, billing)
    assert client.get("/account/two-factor/remove/").status_code == 200
    assert client.post("/account/two-factor/remove/")["Location"] == "/account/"
    assert not TOTPDevice.objects.exists() and not StaticToken.objects.exists()
    assert client.get("/")["Location"].startswith(SETUP)


def test_the_codes_of_the_app_are_throttled(client, billing):
    _enrolled(billing)
    client.force_login(billing)
    device = TOTPDevice.objects.get(user=billing)
    wrong = "000000" if _code(device) != "000000" else "111111"
    client.post(VERIFY, {"code": wrong})
    response = client.post(VERIFY, {"code": _code(device)}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Too many wrong codes" in str(response.context["form"].errors["code"])
