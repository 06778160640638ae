"""The OpenAPI schema: generated without a warning, valid, every operation behind the
token and naming its scope — and the scope each endpoint needs is the README's table."""

from __future__ import annotations

import os
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from q3helpdesk.api.models import Scope
from tests.factories import billable_customer, issued_invoice, make_case, make_company

from .conftest import ZURICH, system

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


def test_each_endpoint_answers_the_scope_it_names_and_no_other(desk_now, settings, tmp_path):
    """With its scope an endpoint answers (200, on real rows); with any other, 403."""
    settings.MEDIA_ROOT = tmp_path
    desk_now.move_to(datetime(2026, 4, 2, 9, 0, tzinfo=ZURICH))
    make_company()
    customer = billable_customer(number="10001", phone="+41315114949")
    case = make_case(customer)
    invoice = issued_invoice(customer, issued_on=date(2026, 4, 1), render_pdf=False)
    clients = {scope: system(scope)[0] for scope in Scope.values}
    args = {
        "customer": {"number": "10001"},
        "case": {"pk": str(case.pk)},
        "invoice": {"number": invoice.number},
        "invoice_pdf": {"number": invoice.number},
    }
    queries = {
        "caller": {"phone": "031 511 49 49"},
        "usages": {"performed_from": "2026-03-01", "performed_to": "2026-03-31"},
    }
    for _, name, needed in api_routes():
        url = reverse(f"api:{name}", kwargs=args.get(name))
        for scope, client in clients.items():
            status = client.get(url, queries.get(name, {})).status_code
            assert status == (200 if scope == needed else 403), (url, scope, status)


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
