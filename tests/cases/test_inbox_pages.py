"""The inbox (/inbox/): messages no case holds yet, assigned by the desk to a customer; its
count in the navigation; the customer page's recent e-mails."""

import pytest
from django.core.files.base import ContentFile

from cases.emails import email_send
from cases.models import Case, EmailAttachment, InboundEmail, SupportEmail
from cases.services import case_create
from q3helpdesk.roles import Role
from tests.factories import ContactFactory, CustomerFactory, rental_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client, user_with_role):
    client.force_login(user_with_role(Role.INFOLINE, username="isabelle"))
    return client


def waiting(n=0, **kwargs):
    values = {
        "message_id": f"<w{n}@unbekannt.example>",
        "status": "inbox",
        "from_address": "neu@unbekannt.example",
        "from_name": "Peter Neu",
        "subject": f"Hilfe {n}",
        "text": "Ich brauche Hilfe beim Lohnlauf.",
        "raw": ContentFile(b"From: neu@unbekannt.example\r\n\r\nHilfe", name="w.eml"),
    }
    values.update(kwargs)
    return InboundEmail.objects.create(**values)


# --- access -------------------------------------------------------------------------------


def test_inbox_pages_need_a_login_and_a_desk_role(client, user_with_role):
    email = waiting()
    for path in ("/inbox/", f"/inbox/{email.pk}/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(user_with_role(None))
    for path in ("/inbox/", f"/inbox/{email.pk}/"):
        assert client.get(path).status_code == 403
    rental_customer(number="10001")
    response = client.post(f"/inbox/{email.pk}/assign/", {"customer": "10001"})
    assert response.status_code == 403


@pytest.mark.parametrize("role", [Role.BILLING, Role.MANAGER])
def test_billing_and_managers_do_not_see_the_desks_mail(client, user_with_role, role):
    """The support mailbox is the desk's: its messages, raw files and attachments are
    served to Infoline and Support only."""
    email = waiting()
    rental_customer(number="10001")
    client.force_login(user_with_role(role))
    assert client.get("/inbox/").status_code == 403
    assert client.get(f"/inbox/{email.pk}/").status_code == 403
    assert client.get(f"/inbox/{email.pk}/raw/").status_code == 403
    assert client.post(f"/inbox/{email.pk}/assign/", {"customer": "10001"}).status_code == 403
    email.refresh_from_db()
    assert email.status == "inbox" and not Case.objects.exists()


# --- the list -----------------------------------------------------------------------------


def test_inbox_lists_waiting_and_unreadable_messages_only(desk):
    waiting(1, subject="Unbekannter Absender")
    waiting(2, status="unreadable", from_address="", subject="", text="", note="kaputt")
    waiting(3, automatic=True, subject="Abwesenheitsnotiz")
    case = case_create(customer=rental_customer(), channel="email", subject="x")
    waiting(4, status="filed", case=case, subject="Schon auf einem Fall")
    html = desk.get("/inbox/").content.decode()
    assert html.count('data-testid="inbox-row"') == 3
    assert "Unbekannter Absender" in html and "Schon auf einem Fall" not in html
    assert 'data-testid="badge-unreadable"' in html and 'data-testid="badge-automatic"' in html


def test_inbox_is_paginated(desk):
    for n in range(55):
        waiting(n)
    assert desk.get("/inbox/").content.decode().count('data-testid="inbox-row"') == 50
    assert desk.get("/inbox/", {"page": 2}).content.decode().count('data-testid="inbox-row"') == 5
    assert desk.get("/inbox/", {"page": "x"}).status_code == 200


@pytest.mark.parametrize("rows", [1, 30])
def test_inbox_query_budget_with_the_count_in_the_navigation(
    desk, django_assert_max_num_queries, rows
):
    for n in range(rows):
        email = waiting(n)
        EmailAttachment.objects.create(
            inbound=email, file="x.pdf", filename="x.pdf", content_type="application/pdf", size=1
        )
    # 4 session, user and permissions; 2 page (count, rows with their attachment counts);
    # 1 roles; 2 navigation counts (callbacks due, the inbox: one COUNT)
    with django_assert_max_num_queries(9):
        response = desk.get("/inbox/")
    assert f'data-testid="inbox-waiting">{rows}<' in response.content.decode()


def test_navigation_count_is_one_count_query(desk, django_assert_num_queries):
    from cases.selectors import inbox_waiting_count

    waiting(1)
    waiting(2, status="unreadable")
    with django_assert_num_queries(1):
        assert inbox_waiting_count() == 2


def test_no_badge_when_nothing_waits(desk):
    html = desk.get("/inbox/").content.decode()
    assert 'data-testid="nav-inbox"' in html and 'data-testid="inbox-waiting"' not in html
    assert 'data-testid="inbox-empty"' in html


# --- the detail and the assignment --------------------------------------------------------


def test_detail_shows_text_attachments_and_the_original(desk):
    email = waiting(text="<b>Hallo</b>", html="<p>nur HTML</p>")
    attachment = EmailAttachment(
        inbound=email, filename="Lohn.pdf", content_type="application/pdf", size=4
    )
    attachment.file.save("a.bin", ContentFile(b"%PDF"), save=True)
    html = desk.get(f"/inbox/{email.pk}/").content.decode()
    assert "&lt;b&gt;Hallo&lt;/b&gt;" in html and "nur HTML" not in html
    assert f'href="/attachments/{attachment.pk}/"' in html
    assert f'href="/inbox/{email.pk}/raw/"' in html
    assert 'data-testid="inbox-assign-form"' in html


def test_the_lookup_finds_the_customer_to_assign(desk):
    rental_customer(number="10001", name="Schreinerei Müller AG")
    email = waiting()
    html = desk.get(f"/inbox/{email.pk}/", {"q": "muller"}).content.decode()
    assert 'data-testid="inbox-lookup-results"' in html
    assert 'name="customer" value="10001"' in html


def test_assigning_to_an_eligible_customer_opens_a_case(desk):
    customer = rental_customer(number="10001", email="info@mueller.example")
    email = waiting()
    response = desk.post(f"/inbox/{email.pk}/assign/", {"customer": "10001"})
    email.refresh_from_db()
    case = email.case
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    assert case.kind == "case" and case.customer == customer and case.channel == "email"
    assert email.status == "filed" and email.assigned_by.username == "isabelle"
    # the message opens the conversation on the case page
    html = desk.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="timeline-inbound"' in html and "beim Lohnlauf" in html


def test_assigning_to_a_customer_without_licence_records_a_lead(desk):
    CustomerFactory(number="10006", language="fr")
    email = waiting()
    response = desk.post(f"/inbox/{email.pk}/assign/", {"customer": "10006"})
    email.refresh_from_db()
    assert email.case.kind == "lead"
    assert response["Location"] == f"/cases/{email.case.pk}/"
    answer = SupportEmail.objects.get()
    assert answer.automatic and answer.to == "neu@unbekannt.example"


@pytest.mark.parametrize("number", ["", "99999", "abc", "1" * 40])
def test_assigning_to_no_customer_is_refused(desk, number):
    email = waiting()
    response = desk.post(f"/inbox/{email.pk}/assign/", {"customer": number})
    assert response.status_code == 200 and response.context["form"].errors
    email.refresh_from_db()
    assert email.status == "inbox" and not Case.objects.exists()


def test_a_filed_message_is_not_assigned_twice(desk):
    rental_customer(number="10001")
    email = waiting()
    desk.post(f"/inbox/{email.pk}/assign/", {"customer": "10001"})
    response = desk.post(f"/inbox/{email.pk}/assign/", {"customer": "10001"})
    assert response.status_code == 200 and Case.objects.count() == 1
    html = response.content.decode()
    assert 'data-testid="inbox-filed"' in html
    assert desk.get("/inbox/999/").status_code == 404


def test_unreadable_message_can_be_given_to_a_customer(desk):
    rental_customer(number="10001")
    email = waiting(status="unreadable", from_address="", subject="", text="")
    desk.post(f"/inbox/{email.pk}/assign/", {"customer": "10001"})
    email.refresh_from_db()
    assert email.status == "filed" and email.case.kind == "case"


# --- the customer page --------------------------------------------------------------------


def test_customer_page_lists_the_last_ten_emails_both_ways(desk):
    customer = rental_customer(number="10001", email="info@mueller.example")
    contact = ContactFactory(customer=customer, email="anna@mueller.example")
    case = case_create(customer=customer, contact=contact, channel="email", subject="Lohn")
    for n in range(7):
        waiting(n, status="filed", case=case, customer=customer, subject=f"Frage {n}")
        email_send(case=case, subject=f"Antwort {n}", body="Hallo")
    waiting(99, customer=CustomerFactory(), subject="Fremde Frage")
    html = desk.get("/customers/10001/").content.decode()
    assert html.count('data-testid="customer-email"') == 10
    assert "Antwort 6" in html and "Frage 6" in html and "Fremde Frage" not in html
    assert f'href="/cases/{case.pk}/' in html


# --- the admin ----------------------------------------------------------------------------


def test_admin_edits_canned_replies_and_only_reads_incoming_mail(client, admin_user):
    from cases.models import CannedReply

    email = waiting()
    client.force_login(admin_user)
    response = client.post(
        "/admin/cases/cannedreply/add/",
        {"title": "Gruss", "language": "de", "body": "Guten Tag {contact}", "active": "on"},
    )
    assert response.status_code == 302 and CannedReply.objects.get().title == "Gruss"
    assert client.get("/admin/cases/inboundemail/").status_code == 200
    html = client.get(f"/admin/cases/inboundemail/{email.pk}/change/").content.decode()
    assert f'href="/inbox/{email.pk}/raw/"' in html and 'name="subject"' not in html
    assert client.get("/admin/cases/inboundemail/add/").status_code == 403
    assert client.post(f"/admin/cases/inboundemail/{email.pk}/delete/").status_code == 403
