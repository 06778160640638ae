"""Who may call the API: a valid, active, unexpired token, for the scopes of its system;
nothing else (no session, no method but GET), and never faster than the rate allows."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client, override_settings
from django.urls import reverse

from q3helpdesk.api.models import ApiClient
from q3helpdesk.api.services import api_client_revoke
from q3helpdesk.api.throttling import ClientRateThrottle
from q3helpdesk.roles import Role
from tests.factories import rental_customer

from .conftest import system

pytestmark = pytest.mark.django_db

CUSTOMERS = "/api/v1/customers/"


def test_a_valid_token_reads_and_the_answer_is_not_cached():
    rental_customer(number="10001")
    client, _ = system("customers")
    response = client.get(CUSTOMERS)
    assert response.status_code == 200
    assert [row["number"] for row in response.json()["results"]] == ["10001"]
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "header",
    [None, "Bearer q3_not-a-token", "Token abc", "Bearer", "Bearer a b", "Bearer q3_é"],
    ids=["none", "unknown", "other-scheme", "empty", "two-words", "not-ascii"],
)
def test_no_or_a_wrong_token_is_401_with_the_scheme_named(header):
    system("customers")
    client = Client(headers={"Authorization": header} if header else {})
    response = client.get(CUSTOMERS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_revoked_token_is_refused_from_then_on():
    client, _token = system("customers")
    assert client.get(CUSTOMERS).status_code == 200
    api_client_revoke(client=ApiClient.objects.get())
    response = client.get(CUSTOMERS, headers={"Accept-Language": "en"})
    assert response.status_code == 401
    assert response.json() == {"detail": "This token is not valid."}


def test_a_token_is_valid_through_its_last_day(desk_now):
    client, _ = system("customers", expires_on=date(2026, 3, 2))
    assert client.get(CUSTOMERS).status_code == 200
    desk_now.shift(timedelta(days=1))
    response = client.get(CUSTOMERS, headers={"Accept-Language": "de"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Dieses Token ist abgelaufen."}


def test_only_the_hash_of_the_token_is_kept():
    _, token = system("customers")
    row = ApiClient.objects.values().get()
    assert token.startswith("q3_") and len(token) > 40
    assert row["key_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(row.values())
    assert row["key_prefix"] == token[:10]


def test_a_missing_scope_is_403():
    client, _ = system("caller")
    response = client.get(CUSTOMERS, headers={"Accept-Language": "fr"})
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Ce jeton ne peut pas lire ceci : son système n’a pas la portée nécessaire."
    }


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_api_only_reads(method):
    client, _ = system("customers")
    assert getattr(client, method)(CUSTOMERS).status_code == 405


def test_last_use_is_written_at_most_once_a_minute(desk_now, django_assert_num_queries):
    client, _ = system("customers")
    client.get(CUSTOMERS)
    first = ApiClient.objects.get().last_used_at
    assert first is not None
    desk_now.shift(timedelta(seconds=30))
    client.get(CUSTOMERS)
    assert ApiClient.objects.get().last_used_at == first
    desk_now.shift(timedelta(seconds=31))
    client.get(CUSTOMERS)
    assert ApiClient.objects.get().last_used_at == first + timedelta(seconds=61)


def test_a_session_is_no_way_in(client, user_with_role):
    """A desk user's browser cookie opens no API call (only a token does)."""
    client.force_login(user_with_role(Role.MANAGER))
    assert client.get(CUSTOMERS).status_code == 401


@override_settings(REQUIRE_2FA=True)
def test_a_token_call_is_answered_beside_a_half_logged_in_session(user_with_role):
    """With two-factor login on, a Billing user logged in by password alone is sent to the
    code page everywhere — but a token call from the same browser is the system's."""
    user = user_with_role(Role.BILLING)
    assert Group.objects.get(name=Role.BILLING) in user.groups.all()
    _, token = system("customers")
    browser = Client()
    browser.force_login(user)
    assert browser.get(reverse("home")).status_code == 302  # owes the second factor
    response = browser.get(CUSTOMERS, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_a_client_is_held_to_its_rate(monkeypatch):
    monkeypatch.setattr(ClientRateThrottle, "rate", "2/min", raising=False)
    client, _ = system("customers")
    other, _ = system("customers", name="other")
    assert [client.get(CUSTOMERS).status_code for _ in range(3)] == [200, 200, 429]
    assert other.get(CUSTOMERS).status_code == 200  # counted per client


@override_settings(REQUIRE_2FA=True)
def test_a_wrong_token_does_not_open_the_schema_to_a_half_logged_in_session(user_with_role):
    """The schema serves desk users too: a Billing session that still owes its second
    factor reaches it neither alone (sent to the code page) nor with a made-up token."""
    browser = Client()
    browser.force_login(user_with_role(Role.BILLING))
    assert browser.get("/api/schema/").status_code == 302
    response = browser.get("/api/schema/", headers={"Authorization": "Bearer q3_made-up"})
    assert response.status_code == 401
