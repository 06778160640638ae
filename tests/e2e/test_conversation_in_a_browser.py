"""End to end in headless Chromium: the case as one conversation, in French at the desk's
1366 × 768. A customer wrote, the desk answered once; the customer's message is answered
from the case: the reply form comes with the quote and the case reference, a canned reply
is inserted with its placeholders filled, and the answer joins the conversation."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from cases.emails import email_send
from cases.models import CannedReply, InboundEmail
from cases.services import case_create
from customers.services import (
    contact_create,
    customer_create,
    licence_create,
    rental_period_create,
)
from q3helpdesk.roles import Role


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reply_to_a_customer_from_the_case(
    live_server, request, user_with_role, settings, tmp_path
):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path
    user_with_role(Role.SUPPORT, username="stefan")
    today = date.today()
    customer = customer_create(
        name="Menuiserie Favre SA", number="10003", language="fr", email="info@favre.example"
    )
    contact = contact_create(customer=customer, name="Anne Favre", email="anne@favre.example")
    licence = licence_create(customer=customer, variant="profi", modules=["COFI"])
    rental_period_create(
        licence=licence,
        start=date(today.year, 1, 1),
        end=date(today.year, 12, 31),
        annual_rent=Decimal("1440.00"),
    )
    case = case_create(customer=customer, contact=contact, channel="email", subject="Salaires")
    message = InboundEmail.objects.create(
        message_id="<q1@favre.example>",
        status="filed",
        case=case,
        customer=customer,
        contact=contact,
        from_address="anne@favre.example",
        from_name="Anne Favre",
        subject="Le calcul des salaires s'arrête",
        text="Bonjour,\nLe calcul des salaires s'arrête à 80 %.\nMerci d'avance",
        raw=ContentFile(b"From: anne@favre.example\r\n\r\nBonjour", name="q1.eml"),
    )
    email_send(case=case, subject="Votre demande", body="Nous regardons cela.")
    CannedReply.objects.create(
        title="Salutations", language="fr", body="Bonjour {contact},\n\n{credit}"
    )
    case_url = f"{live_server.url}/cases/{case.pk}/"
    reference = case.reference
    message_pk = message.pk

    page = request.getfixturevalue("browser_page")
    page.set_viewport_size({"width": 1366, "height": 768})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "stefan")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(case_url)
    assert page.locator("[data-testid=timeline-inbound]").count() == 1
    assert page.locator("[data-testid=timeline-outgoing]").count() == 1
    assert "s'arrête à 80 %" in page.inner_text("[data-testid=timeline-inbound]")

    page.click(f"#message-{message_pk} [data-testid=reply]")
    page.wait_for_selector("[data-testid=replying]")
    assert page.input_value("#id_subject") == f"Re: [{reference}] Le calcul des salaires s'arrête"
    assert page.input_value("#id_reply_to") == str(message_pk)
    body = page.input_value("#id_body")
    assert "Anne Favre" in body.split("\n> ")[0]  # the quote's header names the author
    assert "> Le calcul des salaires s'arrête à 80 %." in body
    # the cursor waits above the quote
    assert page.evaluate("document.activeElement.id") == "id_body"

    page.select_option("[data-testid=canned-reply]", label="Salutations")
    # expect(), not wait_for_function: the page's CSP forbids the eval() that one runs
    expect(page.locator("#id_body")).to_have_value(
        re.compile(r"^Bonjour Anne Favre,"), timeout=5000
    )
    body = page.input_value("#id_body")
    assert "Votre avoir actuel" in body and body.index("Votre avoir") < body.index("> Le calcul")

    page.click("[data-testid=email-form] button[type=submit]")
    page.wait_for_url(case_url)
    assert page.locator("[data-testid=timeline-outgoing]").count() == 2
    last = page.locator("[data-testid=timeline-outgoing]").last
    assert f"Re: [{reference}] Le calcul" in last.inner_text()
    assert last.locator(".bi-reply").count() == 1  # sent as an answer: threaded
    assert page.locator(".alert-success").count() == 1
    page.screenshot(path=str(tmp_path / "conversation.png"), full_page=True)
    assert errors == []
