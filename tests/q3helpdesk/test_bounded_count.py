"""List pages count their rows only as far as the pages lead (``BoundedPaginator``): a
list of 100 000 rows must not run ``COUNT(*)`` over all of them on every view."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from q3helpdesk.roles import Role
from q3helpdesk.ui import pages as ui_pages
from tests.factories import CustomerFactory


@pytest.fixture
def thirty(db, user_with_role, client, monkeypatch):
    monkeypatch.setattr(ui_pages, "COUNT_BOUND", 10)
    for n in range(30):
        CustomerFactory(number=f"7{n:04d}", name=f"Kunde {n:02d}")
    client.force_login(user_with_role(Role.SUPPORT))
    return client


def shown(client, query: str, language: str = "fr"):
    response = client.get(
        f"/customers/?per_page=5&sort=number{query}", HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200
    return response


def numbers(response) -> list[str]:
    return [row.record.number for row in response.context["table"].page.object_list]


def test_first_page_counts_only_up_to_the_bound(thirty):
    with CaptureQueriesContext(connection) as queries:
        response = shown(thirty, "")
    counts = [
        q["sql"] for q in queries if "customers_customer" in q["sql"] and "COUNT(" in q["sql"]
    ]
    assert len(counts) == 1, counts
    assert "LIMIT 11" in counts[0]  # not a count of all 30
    paginator = response.context["table"].paginator
    assert (paginator.count, paginator.exact, paginator.num_pages) == (10, False, 2)
    assert "plus de 10 lignes" in response.content.decode()
    assert numbers(response) == [f"7{n:04d}" for n in range(5)]


def test_the_count_moves_on_with_the_pages_and_becomes_exact(thirty):
    third = shown(thirty, "&page=3")
    assert (third.context["table"].paginator.count, third.context["table"].paginator.exact) == (
        20,
        False,
    )
    assert numbers(third) == [f"7{n:04d}" for n in range(10, 15)]
    fifth = shown(thirty, "&page=5", language="de")
    assert (fifth.context["table"].paginator.count, fifth.context["table"].paginator.exact) == (
        30,
        True,
    )
    assert "30 Zeilen" in fifth.content.decode()
    assert numbers(fifth) == [f"7{n:04d}" for n in range(20, 25)]


def test_a_page_past_the_end_leads_to_the_last_one(thirty):
    response = shown(thirty, "&page=99")
    paginator = response.context["table"].paginator
    assert (paginator.count, paginator.exact) == (30, True)
    assert numbers(response) == [f"7{n:04d}" for n in range(25, 30)]


@pytest.mark.parametrize("page", ["9999999999999999999", "9" * 30])
def test_a_page_beyond_any_list_leads_to_the_last_one_not_an_error(thirty, page):
    """An offset that would not fit a 64-bit integer is past the end like any other."""
    response = shown(thirty, f"&page={page}")
    assert (response.context["table"].paginator.count, numbers(response)[-1]) == (30, "70029")


def test_a_short_list_is_counted_exactly(db, user_with_role, client):
    for n in range(3):
        CustomerFactory(number=f"8{n:04d}")
    client.force_login(user_with_role(Role.SUPPORT))
    response = client.get("/customers/", HTTP_ACCEPT_LANGUAGE="fr")
    paginator = response.context["table"].paginator
    assert (paginator.count, paginator.exact) == (3, True)
    assert "3 lignes" in response.content.decode()
