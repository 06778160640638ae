"""The OpenAPI schema: generated without a warning, valid, every operation behind the
token and naming its scope — and the scope each endpoint needs is the README's table."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from q3helpdesk.api.models import Scope
from tests.factories import rental_customer

from .conftest import system

pytestmark = pytest.mark.django_db

README = Path(settings.BASE_DIR) / "README.md"
START, END = "<!-- api-scope-matrix -->", "<!-- /api-scope-matrix -->"


def api_routes() -> list[tuple[str, str, str]]:
    """(path, URL name, scope) of every endpoint of the API, in the resolver's order."""
    [api] = [
        p
        for p in get_resolver().url_patterns
        if isinstance(p, URLResolver) and p.namespace == "api"
    ]
    found = []
    for pattern in api.url_patterns:
        assert isinstance(pattern, URLPattern)
        view = pattern.callback.view_class  # type: ignore[attr-defined]
        found.append((f"/api/v1/{pattern.pattern}", pattern.name, str(view.required_scope)))
    return found


def test_the_schema_is_generated_without_warnings_and_is_valid():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    assert not GENERATOR_STATS, GENERATOR_STATS
    operations = [op for path in schema["paths"].values() for op in path.values()]
    scopes = {path: next(iter(ops.values()))["x-scope"] for path, ops in schema["paths"].items()}
    assert len(operations) == len(api_routes()) == 9
    for operation in operations:
        assert operation["security"] == [{"token": []}]
        assert f"Scope: `{operation['x-scope']}`" in operation["description"]
    assert scopes["/api/v1/caller/"] == "caller"
    assert schema["components"]["securitySchemes"]["token"]["scheme"] == "bearer"


def matrix_table() -> str:
    lines = ["| endpoint | scope |", "|---|---|"]
    for path, _, scope in api_routes():
        route = re.sub(r"<\w+:(\w+)>", r"{\1}", path)
        lines.append(f"| `GET {route}` | `{scope}` |")
    return "\n".join(lines)


def test_each_endpoint_answers_the_scope_it_names_and_no_other():
    rental_customer(number="10001")
    clients = {scope: system(scope)[0] for scope in Scope.values}
    args = {"customer": "10001", "case": "1", "invoice": "2026-00001", "invoice_pdf": "2026-00001"}
    for path, name, needed in api_routes():
        url = re.sub(r"<\w+:\w+>", args.get(name, "x"), path)
        for scope, client in clients.items():
            status = client.get(url).status_code
            if scope == needed:
                assert status != 403, (url, scope)
            else:
                assert status == 403, (url, scope, status)


def test_the_readme_lists_the_scope_of_every_endpoint():
    text = README.read_text()
    table = matrix_table()
    if os.environ.get("WRITE_API_SCOPE_MATRIX"):
        before, rest = text.split(START)
        _, after = rest.split(END)
        README.write_text(f"{before}{START}\n{table}\n{END}{after}")
        text = README.read_text()
    assert f"{START}\n{table}\n{END}" in text, (
        "The README's API scope table differs from the code; after a deliberate change run "
        "WRITE_API_SCOPE_MATRIX=1 pytest tests/q3helpdesk/api/test_schema.py"
    )


def test_the_schema_is_served_to_a_system_and_to_the_desk(client, user_with_role):
    from q3helpdesk.roles import Role

    token_client, _ = system("caller")
    response = token_client.get("/api/schema/", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert "/api/v1/caller/" in response.content.decode()
    assert client.get("/api/schema/").status_code == 302  # to the login page
    client.force_login(user_with_role(None))
    assert client.get("/api/schema/").status_code == 403
    client.force_login(user_with_role(Role.INFOLINE))
    assert client.get("/api/schema/").status_code == 200
    bad = token_client.get("/api/schema/", headers={"Authorization": "Bearer q3_wrong"})
    assert bad.status_code == 401


def test_the_docs_page_loads_swagger_from_our_own_files(client, user_with_role):
    from q3helpdesk.roles import Role

    assert client.get("/api/docs/").status_code == 302
    client.force_login(user_with_role(Role.MANAGER))
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "<style" not in html and "<script>" not in html  # nothing inline: the CSP holds
    assert "http" not in re.sub(r"https?://testserver", "", html.split("<body>")[1])
    script = client.get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    assert "/api/schema/" in script.content.decode()
