"""Every response Django serves carries the Content-Security-Policy and the
Permissions-Policy; whatever a logged-in user gets (pages, htmx fragments, 404s) and every
download (invoice PDF, e-mail attachment, CSV/XLSX export) says ``Cache-Control: private,
no-store``, so that no proxy and no shared laptop's cache keeps customer data. A response
that is already stricter keeps its own header; static files stay cacheable."""

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.http import HttpResponse
from django.test import RequestFactory

from cases.models import EmailAttachment, InboundEmail
from q3helpdesk.headers import PERMISSIONS_POLICY, SecurityHeadersMiddleware
from q3helpdesk.roles import Role
from tests.factories import (
    issued_invoice,
    make_case,
    make_company,
    make_usage,
    no_credit_customer,
    rental_customer,
)

pytestmark = pytest.mark.django_db


def policy_of(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def cache_directives(response) -> set[str]:
    return {d.strip() for d in response.get("Cache-Control", "").split(",") if d.strip()}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def desk(client, user_with_role):
    client.force_login(user_with_role(Role.INFOLINE, username="isabelle"))
    return client


@pytest.fixture
def billing(client, user_with_role):
    client.force_login(user_with_role(Role.BILLING, username="brigitte"))
    return client


def an_invoice():
    make_company()
    customer = no_credit_customer()
    make_usage(customer, 20, label="Question")
    return issued_invoice(customer, issued_on=date(2026, 4, 1))


def an_attachment():
    email = InboundEmail.objects.create(
        message_id="<a@unbekannt.example>",
        status="inbox",
        from_address="neu@unbekannt.example",
        subject="Hilfe",
        text="Lohnausweis anbei",
        raw=ContentFile(b"From: neu@unbekannt.example\r\n\r\nHilfe", name="w.eml"),
    )
    attachment = EmailAttachment(
        inbound=email, filename="Lohn.pdf", content_type="application/pdf", size=4
    )
    attachment.file.save("a.bin", ContentFile(b"%PDF"), save=True)
    return attachment


def assert_policies(response):
    policy = policy_of(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY


def assert_private(response):
    assert {"private", "no-store"} <= cache_directives(response), response.get("Cache-Control")
    assert "public" not in cache_directives(response)


# --- pages ------------------------------------------------------------------------------


def test_the_desks_pages_and_fragments_carry_the_policies_and_are_not_stored(desk):
    case = make_case(rental_customer(number="10001"))
    responses = {
        "home": desk.get("/"),
        "lookup": desk.get("/lookup/", {"q": "Lohn"}),
        "customer": desk.get("/customers/10001/"),
        "case": desk.get(f"/cases/{case.pk}/"),
        "case list": desk.get("/cases/"),
        "fragment": desk.get(
            f"/cases/{case.pk}/entries/quote/",
            {"activity": "support", "minutes": "10", "performed_on": "2026-03-02"},
            HTTP_HX_REQUEST="true",
        ),
        "404": desk.get("/customers/99999/"),
        "no such page": desk.get("/no-such-page/"),
    }
    for name, response in responses.items():
        assert response.status_code in (200, 404), name
        assert_policies(response)
        assert_private(response)
    assert responses["404"].status_code == responses["no such page"].status_code == 404


def test_our_pages_allow_styles_from_our_stylesheets_only(desk):
    policy = policy_of(desk.get("/"))
    assert policy["style-src"] == ["'self'"]
    # Bootstrap draws its select arrow and close button from data: SVG images
    assert policy["img-src"] == ["'self'", "data:"]
    assert not any("unsafe" in s for sources in policy.values() for s in sources)


def test_the_permissions_policy_turns_off_what_the_desk_never_uses(desk):
    features = dict(
        part.strip().split("=") for part in desk.get("/")["Permissions-Policy"].split(",")
    )
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "serial"):
        assert features[feature] == "()"


def test_the_login_page_and_redirects_for_anonymous_users_carry_the_policies(client):
    login = client.get("/accounts/login/")
    assert login.status_code == 200
    assert_policies(login)
    assert policy_of(login)["style-src"] == ["'self'"]
    # the login view forbids caching itself: its stricter header stays whole
    assert {"no-cache", "no-store", "must-revalidate", "private"} <= cache_directives(login)
    redirect = client.get("/cases/")
    assert redirect.status_code == 302
    assert_policies(redirect)
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert_policies(missing)


# --- downloads --------------------------------------------------------------------------


def test_the_invoice_pdf_carries_the_policies_and_is_not_stored(billing):
    invoice = an_invoice()
    response = billing.get(f"/billing/invoices/{invoice.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert_policies(response)
    assert_private(response)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_carry_the_policies_and_are_not_stored(desk, fmt):
    make_case(rental_customer(number="10001"))
    response = desk.get("/cases/", {"_export": fmt})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert_policies(response)
    assert_private(response)


def test_an_email_attachment_keeps_its_own_stricter_headers(desk):
    """The sender chose the file: its view sandboxes it and forbids storing it itself."""
    response = desk.get(f"/attachments/{an_attachment().pk}/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY


# --- the admin --------------------------------------------------------------------------


def test_the_admin_may_use_inline_styles_but_never_inline_scripts(client, admin_user):
    client.force_login(admin_user)
    for path in ("/admin/", "/admin/customers/customer/", "/admin/customers/customer/add/"):
        response = client.get(path)
        assert response.status_code == 200, path
        policy = policy_of(response)
        assert policy["style-src"] == ["'self'", "'unsafe-inline'"], path
        assert policy["script-src"] == ["'self'"], path
        assert_private(response)
        assert response["Permissions-Policy"] == PERMISSIONS_POLICY


# --- what the middleware leaves alone ---------------------------------------------------


def test_a_page_is_not_stored_but_its_stylesheet_stays_cacheable(desk):
    """Static files are WhiteNoise's, for everyone alike: no customer data in them."""
    assert_private(desk.get("/"))
    stylesheet = desk.get("/static/css/q3helpdesk.css")
    assert stylesheet.status_code == 200
    assert "no-store" not in cache_directives(stylesheet)


def test_a_logged_in_users_page_is_never_public(rf: RequestFactory, admin_user):
    def view(request):
        response = HttpResponse("Kundendaten")
        response["Cache-Control"] = "public, max-age=3600"
        return response

    request = rf.get("/")
    request.user = admin_user
    response = SecurityHeadersMiddleware(view)(request)
    assert {"private", "no-store"} <= cache_directives(response)
    assert "public" not in cache_directives(response)


def test_an_anonymous_page_keeps_its_own_caching(rf: RequestFactory):
    def view(request):
        response = HttpResponse("Bonjour")
        response["Cache-Control"] = "public, max-age=3600"
        return response

    request = rf.get("/")
    request.user = AnonymousUser()
    response = SecurityHeadersMiddleware(view)(request)
    assert response["Cache-Control"] == "public, max-age=3600"
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY
