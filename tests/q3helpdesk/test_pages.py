"""Login, roles and the home page of each role."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from q3helpdesk.roles import Role

pytestmark = pytest.mark.django_db

PUBLIC = {"login", "logout", "set_language", "javascript-catalog", "favicon"}


def _example_paths(patterns=None, prefix=""):
    """One concrete path per URL pattern of the project, arguments filled with 1."""
    import re

    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = str(entry.pattern)
        route = re.sub(r"<(?:\w+:)?\w+>", "1", route).lstrip("^").rstrip("$").replace("\\", "")
        if isinstance(entry, URLResolver):
            yield from _example_paths(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            if entry.name in PUBLIC or "(?P" in route or "(" in route:
                continue
            yield entry.name, "/" + prefix + route


def test_every_page_sends_anonymous_users_to_a_login(client):
    paths = list(_example_paths())
    assert ("home", "/") in paths
    assert any(p.startswith("/admin/billing/tariff/") for _, p in paths)
    for name, path in paths:
        response = client.get(path)
        if path.startswith("/api/v1/"):  # other systems' API: a token, never a login page
            assert response.status_code == 401, (name, path, response.status_code)
            assert response["WWW-Authenticate"].startswith("Bearer"), (name, path)
            continue
        assert response.status_code == 302, (name, path, response.status_code)
        assert "/login/" in response["Location"], (name, path)


def test_login_page_and_login_logout_cycle(client, user_with_role):
    user_with_role(Role.INFOLINE, username="isabelle")
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert "Connexion" in page.content.decode()  # French is the default language

    bad = client.post("/accounts/login/", {"username": "isabelle", "password": "wrong"})
    assert bad.status_code == 200
    assert "nom d’utilisateur et un mot de passe valides" in bad.content.decode()

    good = client.post("/accounts/login/", {"username": "isabelle", "password": "pw"})
    assert good.status_code == 302 and good["Location"] == "/"
    assert client.get("/").status_code == 200

    out = client.post("/accounts/logout/")
    assert out.status_code == 302 and out["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    ("role", "sections", "absent"),
    [
        (
            Role.INFOLINE,
            {"home-desk", "home-tariff"},
            {"home-billing", "home-manager", "home-admin"},
        ),
        (
            Role.SUPPORT,
            {"home-desk", "home-tariff"},
            {"home-billing", "home-manager", "home-admin"},
        ),
        (
            Role.BILLING,
            {"home-billing", "home-tariff"},
            {"home-desk", "home-manager", "home-admin"},
        ),
        (
            Role.MANAGER,
            {"home-manager", "home-tariff"},
            {"home-desk", "home-billing", "home-admin"},
        ),
    ],
)
def test_each_role_sees_its_home(client, user_with_role, role, sections, absent):
    client.force_login(user_with_role(role))
    html = client.get("/").content.decode()
    for section in sections:
        assert f'data-testid="{section}"' in html
    for section in absent:
        assert f'data-testid="{section}"' not in html
    assert "/admin/" not in html  # no link a non-administrator could not follow


def test_administrator_sees_every_section_and_the_admin_links(client, admin_user):
    client.force_login(admin_user)
    html = client.get("/").content.decode()
    for section in ("home-desk", "home-billing", "home-manager", "home-admin", "home-tariff"):
        assert f'data-testid="{section}"' in html
    assert 'href="/admin/billing/tariff/"' in html


def test_user_without_role_is_refused_with_an_explanation(client, user_with_role):
    client.force_login(user_with_role(None))
    response = client.get("/")
    assert response.status_code == 403
    assert 'data-testid="forbidden"' in response.content.decode()


def test_home_shows_the_tariff_in_force_from_the_database(client, user_with_role):
    from billing.models import CreditAllowance

    CreditAllowance.objects.filter(variant="premium", several_main_modules=True).update(minutes=40)
    client.force_login(user_with_role(Role.INFOLINE))
    html = client.get("/").content.decode()
    assert "175.00" in html and "119.00" in html and "195.00" in html
    assert "40 min" in html and "35 min" not in html


def test_manager_home_counts_customers(client, user_with_role):
    from tests.factories import CustomerFactory, rental_customer

    rental_customer()
    CustomerFactory()
    client.force_login(user_with_role(Role.MANAGER))
    response = client.get("/")
    assert response.context["overview"]["customers"] == 2
    assert response.context["overview"]["eligible"] == 1


def test_home_without_a_tariff_in_force_explains_instead_of_failing(client, user_with_role):
    from datetime import date

    from billing.models import Tariff

    Tariff.objects.update(valid_from=date(2099, 1, 1))
    client.force_login(user_with_role(Role.BILLING))
    response = client.get("/")
    assert response.status_code == 200
    assert "Aucun tarif" in response.content.decode() or "No tariff" in response.content.decode()


@pytest.mark.parametrize("rows", [1, 30])
def test_home_query_budget(client, user_with_role, django_assert_max_num_queries, rows):
    from tests.factories import rental_customer

    for _ in range(rows):
        rental_customer()
    client.force_login(user_with_role(Role.MANAGER))
    with django_assert_max_num_queries(14):  # the upcoming tariff, the activities of the tariff
        assert client.get("/").status_code == 200


@pytest.mark.parametrize(
    ("language", "text"),
    [("fr", "Tarif en vigueur"), ("de", "Gültiger Tarif"), ("en", "Tariff in force")],
)
def test_language_switcher(client, user_with_role, language, text):
    client.force_login(user_with_role(Role.INFOLINE))
    response = client.post("/i18n/setlang/", {"language": language, "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert f'<html lang="{language}">' in html
    assert text in html


def test_favicon_for_pages_without_an_icon_link(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
