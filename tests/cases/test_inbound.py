"""Incoming support e-mail (R15): filed once, threaded into its case, new conversations
decided by the concept, automatic answers that never loop. The desk works on 2 March 2026."""

from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from io import BytesIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from billing.models import Tariff
from cases.emails import email_send
from cases.inbound import mail_file
from cases.models import (
    Case,
    CaseEvent,
    CaseKind,
    CaseStatus,
    InboundEmail,
    InboundStatus,
    SupportEmail,
)
from cases.services import case_create, case_set_status
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    make_company,
    rental_customer,
    support_plus,
)

# The worker sends the automatic answers for real: these tests commit.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def message(
    *,
    sender="anna.muster@example.ch",
    name="Anna Muster",
    subject="Lohnlauf bricht ab",
    text="Grüezi, der Lohnlauf bricht mit Fehler 17 ab.",
    message_id=None,
    in_reply_to=None,
    headers=None,
    attachments=(),
) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>"
    msg["To"] = "support@q3software.example"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(timezone.now())
    msg["Message-ID"] = message_id or make_msgid(domain="example.ch")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(text)
    for filename, data, maintype, subtype in attachments:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


@pytest.fixture
def eligible():
    customer = rental_customer(variant="profi", language="de")
    contact = ContactFactory(customer=customer, name="Anna Muster", email="anna.muster@example.ch")
    return customer, contact


# --- new conversations ------------------------------------------------------------------


def test_a_message_from_a_contact_opens_an_email_case_with_its_attachment(eligible):
    customer, contact = eligible
    pdf = b"%PDF-1.4 fake lohnausweis"
    result = mail_file(
        raw=message(attachments=[("Lohnausweis März.pdf", pdf, "application", "pdf")])
    )
    assert result.created
    email = result.email
    case = email.case
    assert (email.status, case.customer, case.contact, case.channel, case.kind) == (
        InboundStatus.FILED,
        customer,
        contact,
        "email",
        CaseKind.CASE,
    )
    assert case.subject == "Lohnlauf bricht ab"
    assert "Fehler 17" in email.text
    (attachment,) = email.attachments.all()
    assert (attachment.filename, attachment.size) == ("Lohnausweis März.pdf", len(pdf))
    assert attachment.file.read() == pdf
    assert email.raw.read().startswith(b"From: Anna Muster")
    assert not SupportEmail.objects.exists()  # no acknowledgement unless the tariff asks


def test_the_same_message_twice_is_filed_once(eligible):
    raw = message()
    first, second = mail_file(raw=raw), mail_file(raw=raw)
    assert first.created and not second.created
    assert second.email == first.email
    assert (InboundEmail.objects.count(), Case.objects.count()) == (1, 1)


def test_a_message_without_message_id_is_still_filed_once(eligible):
    raw = message().replace(b"Message-ID:", b"X-Old-Message-ID:")
    assert mail_file(raw=raw).created
    assert not mail_file(raw=raw).created
    assert InboundEmail.objects.get().message_id.endswith("@q3helpdesk.invalid>")


def test_a_registered_support_plus_person_gets_priority(eligible):
    customer, contact = eligible
    support_plus(customer, [contact])
    case = mail_file(raw=message()).email.case
    assert case.support_plus


def test_the_customers_own_address_matches_when_no_contact_has_it():
    customer = rental_customer(email="info@schreinerei.example")
    case = mail_file(raw=message(sender="INFO@schreinerei.example")).email.case
    assert (case.customer, case.contact) == (customer, None)


def test_an_unknown_sender_waits_in_the_inbox_without_answer():
    rental_customer()
    email = mail_file(raw=message(sender="someone@unknown.example")).email
    assert (email.status, email.case, email.customer) == (InboundStatus.INBOX, None, None)
    assert not Case.objects.exists() and not SupportEmail.objects.exists()


def test_a_customer_without_licence_gets_a_lead_and_one_automatic_answer():
    make_company()  # the Infoline number comes from the company data
    customer = CustomerFactory(language="de", email="info@alt.example")
    email = mail_file(raw=message(sender="info@alt.example", name="Beat Alt")).email
    assert email.case.kind == CaseKind.LEAD and email.case.customer == customer
    run_worker()
    (answer,) = mail.outbox
    assert answer.to == ["info@alt.example"]
    assert "aktuelle Mietversion" in answer.body and answer.body.startswith("Guten Tag Beat Alt,")
    assert "+41 31 000 00 00" in answer.body  # the company's phone (test creditor)
    assert answer.extra_headers["In-Reply-To"] == email.message_id
    assert answer.extra_headers["Auto-Submitted"] == "auto-replied"
    assert f"[{email.case.reference}]" in answer.subject
    # A second message the same day: filed, but no second automatic answer (no loops).
    mail_file(raw=message(sender="info@alt.example", subject="Noch einmal"))
    run_worker()
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"List-Id": "<news.example.ch>"},
    ],
)
def test_automatic_mail_is_never_answered_and_opens_nothing(headers):
    CustomerFactory(email="info@alt.example")
    email = mail_file(raw=message(sender="info@alt.example", headers=headers)).email
    assert email.automatic and email.status == InboundStatus.INBOX
    assert not Case.objects.exists() and not SupportEmail.objects.exists()


def test_mail_from_a_mailer_daemon_is_never_answered():
    CustomerFactory(email="mailer-daemon@alt.example")
    email = mail_file(raw=message(sender="mailer-daemon@alt.example")).email
    assert email.automatic and not SupportEmail.objects.exists()


def test_the_acknowledgement_carries_the_reference_and_the_credit(eligible):
    tariff = Tariff.objects.get()
    tariff.acknowledge_emails = True
    tariff.save()
    case = mail_file(raw=message()).email.case
    run_worker()
    (ack,) = mail.outbox
    assert f"[{case.reference}]" in ack.subject and case.reference in ack.body
    assert "Ihr aktuelles Supportguthaben: 15 Min., gültig bis 31.12.2026." in ack.body


def test_garbage_is_kept_raw_as_unreadable():
    raw = bytes(range(256)) * 4
    result = mail_file(raw=raw)
    assert result.created and result.email.status == InboundStatus.UNREADABLE
    assert result.email.raw.read() == raw
    assert not mail_file(raw=raw).created


# --- threading ------------------------------------------------------------------------


def test_a_reply_to_our_answer_joins_its_case_and_reopens_it_when_resolved(eligible):
    customer, contact = eligible
    case = case_create(customer=customer, contact=contact, channel="phone", subject="Lohnlauf")
    sent = email_send(case=case, subject="Lohnlauf", body="Bitte Version 12.3 installieren.")
    case_set_status(case=case, status="resolved")
    email = mail_file(
        raw=message(subject="AW: Lohnlauf", in_reply_to=sent.message_id, text="Geht nicht.")
    ).email
    assert email.case == case
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert CaseEvent.objects.filter(case=case, new="Open", by__isnull=True).exists()


def test_a_case_reference_in_the_subject_threads_without_headers(eligible):
    customer, contact = eligible
    case = case_create(customer=customer, contact=contact, channel="phone", subject="Lohnlauf")
    email = mail_file(raw=message(subject=f"WG: [{case.reference}] Lohnlauf")).email
    assert email.case == case and Case.objects.count() == 1


def test_a_reply_to_a_case_closed_long_ago_opens_a_new_case_that_follows_it(eligible):
    customer, contact = eligible
    case = case_create(customer=customer, contact=contact, channel="phone", subject="Lohnlauf")
    case_set_status(case=case, status="closed")
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - timedelta(days=15))
    email = mail_file(raw=message(subject=f"Re: [{case.reference}] Lohnlauf")).email
    assert email.case != case and email.case.follows == case
    assert Case.objects.get(pk=case.pk).status == CaseStatus.CLOSED
    # Closed 14 days ago or less: the reply reopens it.
    recent = case_create(customer=customer, contact=contact, channel="phone", subject="MWST")
    case_set_status(case=recent, status="closed")
    email = mail_file(raw=message(subject=f"Re: [{recent.reference}] MWST")).email
    assert email.case == recent and Case.objects.get(pk=recent.pk).status == CaseStatus.OPEN


def test_an_auto_reply_in_a_thread_does_not_reopen_the_case(eligible):
    customer, contact = eligible
    case = case_create(customer=customer, contact=contact, channel="phone", subject="Lohnlauf")
    sent = email_send(case=case, subject="Lohnlauf", body="Erledigt.")
    case_set_status(case=case, status="resolved")
    mail_file(
        raw=message(
            subject="Abwesenheitsnotiz",
            in_reply_to=sent.message_id,
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    assert Case.objects.get(pk=case.pk).status == CaseStatus.RESOLVED


def test_our_answer_carries_the_thread_headers_of_the_message_it_answers(eligible):
    email = mail_file(raw=message()).email
    sent = email_send(case=email.case, subject="Re: Lohnlauf", body="Wir prüfen.", reply_to=email)
    run_worker()
    (out,) = mail.outbox
    assert out.extra_headers["Message-ID"] == sent.message_id
    assert out.extra_headers["In-Reply-To"] == email.message_id
    assert email.message_id in out.extra_headers["References"]
    assert out.to == ["anna.muster@example.ch"]
    assert out.subject == f"Re: [{email.case.reference}] Lohnlauf"
    assert "Supportguthaben" in out.body


# --- the commands -----------------------------------------------------------------------


def test_mail_import_files_files_and_standard_input(eligible, tmp_path, monkeypatch, capsys):
    path = tmp_path / "one.eml"
    path.write_bytes(message(subject="Erste Frage"))
    call_command("mail_import", str(path))
    monkeypatch.setattr("sys.stdin", type("In", (), {"buffer": BytesIO(message())})())
    call_command("mail_import", "-")
    call_command("mail_import", str(path))
    out = capsys.readouterr().out
    assert "already filed" in out
    assert InboundEmail.objects.count() == 2 and Case.objects.count() == 2


def test_the_sender_is_not_answered_twice_on_the_same_day_even_for_two_leads():
    make_company()
    CustomerFactory(email="info@alt.example")
    for n in range(3):
        mail_file(raw=message(sender="info@alt.example", subject=f"Frage {n}"))
    run_worker()
    assert len(mail.outbox) == 1
    assert Case.objects.filter(kind=CaseKind.LEAD).count() == 3


def test_case_opened_from_mail_is_received_today():
    rental_customer(email="info@schreinerei.example")
    case = mail_file(raw=message(sender="info@schreinerei.example")).email.case
    assert case.opened_on == date(2026, 3, 2)


def test_a_bounce_of_our_answer_lands_on_its_case_without_reopening_it(eligible):
    customer, contact = eligible
    case = case_create(customer=customer, contact=contact, channel="phone", subject="Lohnlauf")
    sent = email_send(case=case, subject="Lohnlauf", body="Erledigt.")
    case_set_status(case=case, status="resolved")
    bounce = (
        "From: Mail Delivery System <MAILER-DAEMON@mail.example.ch>\r\n"
        "To: support@q3software.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: {make_msgid(domain='mail.example.ch')}\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n--B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mail.example.ch\r\n\r\n"
        "Final-Recipient: rfc822; anna.muster@example.ch\r\nAction: failed\r\n"
        "Status: 5.1.1\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {sent.message_id}\r\nSubject: {sent.subject}\r\n"
        "--B--\r\n"
    ).encode()
    email = mail_file(raw=bounce).email
    assert email.automatic and email.case == case
    assert Case.objects.get(pk=case.pk).status == CaseStatus.RESOLVED
    assert SupportEmail.objects.filter(automatic=True).count() == 0
