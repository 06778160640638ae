"""Input that can never hurt later (issue 15): what the desk types into a case, a time
entry, a note, a callback or an e-mail refuses NUL and control characters (a subject with a
line break is refused when it is typed, not when the worker sends it); incoming e-mail is
never refused for them: it is cleaned."""

import base64
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django_tasks_db.models import DBTaskResult

from billing.models import Usage
from cases.callbacks import callback_attempt, callback_cancel
from cases.emails import email_send
from cases.inbound import mail_file
from cases.models import Callback, CallbackAttempt, Case, CaseNote, SupportEmail, TimeEntry
from cases.services import case_create, case_mark_verified_bug, case_note_add, time_entry_add
from q3helpdesk.roles import Role
from tests.factories import ContactFactory, make_case, rental_customer

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)


@pytest.fixture
def case():
    return make_case(rental_customer(number="10001", email="info@favre.example"))


@pytest.fixture
def desk(client, user_with_role):
    client.force_login(user_with_role(Role.SUPPORT, username="isabelle"))
    return client


# --- services -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    ["Lohnlauf\x00", "Lohnlauf\nbricht ab", "Lohn\rlauf", "Lohnlauf\x1b[31m", "Lohn\u2028lauf"],
)
def test_case_subject_with_a_control_character_is_refused(subject):
    customer = rental_customer()
    with pytest.raises(ValidationError, match="The subject must be one line of text"):
        case_create(customer=customer, channel="phone", subject=subject)
    assert not Case.objects.exists()


def test_case_description_keeps_line_breaks_and_tabs_but_refuses_nul():
    customer = rental_customer()
    case = case_create(
        customer=customer,
        channel="phone",
        subject="Lohnlauf",
        description="Fehler 17:\r\n\tbeim Abschluss\nim März",
    )
    assert "\tbeim Abschluss" in case.description
    for bad in ("Fehler\x0017", "Fehler\x0b17", "Fehler\r17", "Fehler\u202917"):
        with pytest.raises(ValidationError, match="The description contains a control"):
            case_create(customer=customer, channel="phone", subject="x", description=bad)
    assert Case.objects.count() == 1


def test_time_entry_note_with_nul_is_refused_and_nothing_is_posted(case):
    with pytest.raises(ValidationError, match="The note contains a control character"):
        time_entry_add(
            case=case, activity="support", minutes=10, performed_on=DAY, note="Lohn\x00lauf"
        )
    assert not TimeEntry.objects.exists() and not Usage.objects.exists()


def test_internal_note_and_bug_reference_refuse_control_characters(case):
    with pytest.raises(ValidationError, match="The text contains a control character"):
        case_note_add(case=case, text="Rappeler\x07 demain")
    with pytest.raises(ValidationError, match="The bug reference must be one line"):
        case_mark_verified_bug(case=case, bug_reference="Q3-4711\n")
    note = case_note_add(case=case, text="Rappeler demain\nà 10 h")
    assert CaseNote.objects.get() == note
    case.refresh_from_db()
    assert case.verified_bug_at is None


def test_callback_texts_refuse_control_characters(case):
    callback = Callback.objects.create(
        case=case,
        phone="+41313812210",
        reason="Lohnlauf",
        first_window_start=case.created_at,
        first_window_end=case.created_at,
        last_window_end=case.created_at,
    )
    with pytest.raises(ValidationError, match="The reason must be one line"):
        callback_cancel(callback=callback, reason="erreicht\x00")
    with pytest.raises(ValidationError, match="The note contains a control character"):
        callback_attempt(callback=callback, outcome="no_answer", note="Combox\x1b")
    callback.refresh_from_db()
    assert callback.status == "open" and not CallbackAttempt.objects.exists()


@pytest.mark.parametrize(
    "subject", ["Réponse\r\nBcc: everyone@example.com", "Réponse\nX-Spam: no", "Réponse\x00"]
)
def test_email_subject_with_a_line_break_is_refused_when_typed(case, subject):
    """Before, the subject was stored and the worker failed on it later (a header cannot
    hold a line break): now nothing is stored and nothing is queued."""
    with pytest.raises(ValidationError, match="The subject must be one line of text"):
        email_send(case=case, subject=subject, body="Bonjour")
    assert not SupportEmail.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_email_body_keeps_its_lines_but_refuses_nul(case):
    with pytest.raises(ValidationError, match="The text of the e-mail contains a control"):
        email_send(case=case, subject="Réponse", body="Bonjour\x00")
    email = email_send(case=case, subject="Réponse", body="Bonjour,\r\n\n\tvoici la réponse.")
    assert email.body.startswith("Bonjour,\r\n\n\tvoici la réponse.")
    assert SupportEmail.objects.count() == 1


# --- forms (through the pages) -------------------------------------------------------------


def test_case_form_shows_the_field_error_and_saves_nothing(desk):
    rental_customer(number="10001")
    response = desk.post(
        "/cases/new/?customer=10001",
        {"channel": "phone", "subject": "Lohn\x01lauf", "kind": "case"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "must be one line of text" in response.context["form"].errors["subject"][0]
    assert not Case.objects.exists()


def test_time_entry_form_with_a_control_character_in_the_note_saves_nothing(desk, case):
    response = desk.post(
        f"/cases/{case.pk}/entries/",
        {"activity": "support", "minutes": "10", "performed_on": "2026-03-02", "note": "a\x08b"},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "control character" in response.content.decode()
    assert not TimeEntry.objects.exists() and not Usage.objects.exists()


def test_email_form_refuses_a_subject_with_a_line_break(desk, case):
    response = desk.post(
        f"/cases/{case.pk}/emails/",
        {"subject": "Réponse\r\nBcc: everyone@example.com", "body": "Bonjour"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "must be one line of text" in response.content.decode()
    assert not SupportEmail.objects.exists()


def test_note_form_refuses_a_control_character(desk, case):
    response = desk.post(
        f"/cases/{case.pk}/notes/",
        {"text": "Rappeler\x1f demain"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "contains a control character" in response.content.decode()
    assert not CaseNote.objects.exists()


# --- incoming e-mail: cleaned, never refused --------------------------------------------------


def _encoded(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def test_incoming_mail_with_control_characters_is_filed_cleaned():
    customer = rental_customer(variant="profi", language="de")
    ContactFactory(customer=customer, name="Anna Muster", email="anna.muster@example.ch")
    body = "Grüezi,\x00 der Lohnlauf\u2028bricht\x1b[2J ab.\r\n\tFehler 17"
    raw = (
        "From: " + _encoded("Anna\x07 Muster") + " <anna.muster@example.ch>\r\n"
        "To: support@q3software.example\r\n"
        "Subject: " + _encoded("Lohnlauf\x00 bricht\u2028ab\x1b") + "\r\n"
        "Message-ID: <ctl-1@example.ch>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(body.encode()).decode()
    ).encode()
    email = mail_file(raw=raw).email
    assert email.case is not None and email.case.customer == customer
    assert email.case.subject == "Lohnlauf bricht ab"
    assert email.subject == "Lohnlauf bricht ab"
    assert email.from_name == "Anna Muster"
    for bad in ("\x00", "\x07", "\x1b", "\u2028", "\r"):
        assert bad not in email.text
    assert email.text == "Grüezi, der Lohnlauf\nbricht[2J ab.\n\tFehler 17"


def test_a_case_removed_meanwhile_is_a_clear_error_not_a_crash(case):
    """The page was read before another desk removed the case: the service fails on the
    missing row, and the guard turns that into the message the desk understands."""
    Case.objects.filter(pk=case.pk).delete()
    with pytest.raises(ValidationError, match="Choose an existing case: this one no longer"):
        time_entry_add(case=case, activity="support", minutes=5, performed_on=DAY)
    assert not TimeEntry.objects.exists() and not Usage.objects.exists()
