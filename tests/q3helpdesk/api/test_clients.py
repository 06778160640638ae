"""Creating and revoking API clients: in the admin (the token shown once) and on the
command line."""

from __future__ import annotations

import hashlib
import re
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from q3helpdesk.api.models import ApiClient
from q3helpdesk.api.services import api_client_create

pytestmark = pytest.mark.django_db

ADD = "/admin/api/apiclient/add/"


def test_the_admin_shows_the_token_once_and_keeps_its_hash(client, admin_user):
    client.force_login(admin_user)
    response = client.post(ADD, {"name": "Telefonanlage", "scopes": ["caller"], "expires_on": ""})
    assert response.status_code == 200
    html = response.content.decode()
    [token] = re.findall(r'value="(q3_[^"]+)"', html)
    api_client = ApiClient.objects.get()
    assert api_client.scopes == ["caller"] and api_client.created_by == admin_user
    assert api_client.key_hash == hashlib.sha256(token.encode()).hexdigest()
    assert (
        Client(headers={"Authorization": f"Bearer {token}"})
        .get("/api/v1/caller/", {"phone": "031 511 49 49"})
        .status_code
        == 200
    )
    change = client.get(f"/admin/api/apiclient/{api_client.pk}/change/").content.decode()
    assert token not in change  # never shown again


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "ERP", "scopes": [], "expires_on": ""}, "scopes"),
        ({"name": "ERP", "scopes": ["root"], "expires_on": ""}, "scopes"),
        ({"name": "ERP", "scopes": ["caller"], "expires_on": "2026-01-01"}, "expires_on"),
        ({"name": "", "scopes": ["caller"], "expires_on": ""}, "name"),
    ],
)
def test_the_admin_refuses_a_client_that_makes_no_sense(client, admin_user, data, field):
    client.force_login(admin_user)
    response = client.post(ADD, data)
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not ApiClient.objects.exists()


def test_revoking_in_the_admin_refuses_the_token(client, admin_user):
    _, token = api_client_create(name="BI", scopes=["cases"])
    client.force_login(admin_user)
    client.post(
        "/admin/api/apiclient/",
        {"action": "revoke", "_selected_action": [ApiClient.objects.get().pk]},
    )
    assert ApiClient.objects.get().active is False
    assert ApiClient.objects.get().revoked_at is not None
    assert (
        Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/cases/").status_code
        == 401
    )


def test_the_command_prints_the_token_once(capsys):
    out = StringIO()
    call_command("api_client_create", "ERP", "--scopes", "customers,invoices", stdout=out)
    token = out.getvalue().strip()
    api_client = ApiClient.objects.get()
    assert api_client.scopes == ["customers", "invoices"]
    assert api_client.key_hash == hashlib.sha256(token.encode()).hexdigest()


@pytest.mark.parametrize(
    "args",
    [
        ["--scopes", "everything"],
        ["--scopes", "caller", "--expires", "2026-13-45"],
        ["--scopes", ""],
    ],
)
def test_the_command_refuses_nonsense(args):
    with pytest.raises(CommandError):
        call_command("api_client_create", "ERP", *args, stdout=StringIO())
    assert not ApiClient.objects.exists()


def test_two_systems_cannot_share_a_name():
    api_client_create(name="ERP", scopes=["customers"])
    with pytest.raises(ValidationError):
        api_client_create(name="ERP", scopes=["invoices"])
