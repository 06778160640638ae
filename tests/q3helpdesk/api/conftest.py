"""A system calling the API: a client with its token and scopes, on a desk day of 2026."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from q3helpdesk.api.models import Scope
from q3helpdesk.api.services import api_client_create

ZURICH = ZoneInfo("Europe/Zurich")
# Inside the factories' rental period (2026).
DESK_NOW = datetime(2026, 3, 2, 9, 30, tzinfo=ZURICH)


@pytest.fixture(autouse=True)
def desk_now():
    cache.clear()  # the rate limit counts in the cache
    with time_machine.travel(DESK_NOW, tick=False) as traveller:
        yield traveller


def system(*scopes: str, name: str | None = None, **kwargs) -> tuple[Client, str]:
    """A Django test client that sends the token of a new API client with ``scopes``."""
    _api_client, token = api_client_create(
        name=name or f"system {'+'.join(scopes)}", scopes=list(scopes), **kwargs
    )
    return Client(headers={"Authorization": f"Bearer {token}"}), token


@pytest.fixture
def api(db):
    """A client with every scope (the BI tool's)."""
    return system(*Scope.values, name="BI")[0]


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]
