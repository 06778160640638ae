"""Incoming mail: threading, unreadable messages, attachments and follow-ups (today:
02.03.2026)."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from cases.emails import email_retry, email_send, new_message_id
from cases.inbound import mail_file, may_answer_automatically
from cases.models import Case, CaseStatus, EmailAttachment, InboundEmail, SupportEmail
from cases.services import case_create, case_set_status
from q3helpdesk.roles import Role
from tests.cases.test_inbound import message
from tests.factories import ContactFactory, rental_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact():
    customer = rental_customer(variant="profi", language="de")
    return ContactFactory(customer=customer, name="Anna Muster", email="anna.muster@example.ch")


@pytest.mark.parametrize("name", ["😀", "()", "€", "+++", "../../etc/passwd", "a" * 300])
def test_any_attachment_name_is_stored(contact, name):
    email = mail_file(raw=message(attachments=[(name, b"data", "application", "pdf")])).email
    (attachment,) = email.attachments.all()
    assert attachment.file.read() == b"data"
    assert "/" not in attachment.file.name.rpartition("mail/attachments/")[2][8:]


def test_a_message_that_cannot_be_filed_is_kept_as_unreadable_not_retried_for_ever(
    contact, monkeypatch
):
    import cases.inbound

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(cases.inbound, "_store_attachments", broken)
    raw = message()
    result = mail_file(raw=raw)
    assert result.created and result.email.status == "unreadable"
    assert result.email.raw.read() == raw
    assert not Case.objects.exists()
    assert not mail_file(raw=raw).created  # filed once: the next fetch moves it away


def test_mail_import_reports_a_bad_file_and_goes_on(contact, tmp_path, capsys):
    good = tmp_path / "good.eml"
    good.write_bytes(message())
    missing = tmp_path / "missing.eml"
    later = tmp_path / "later.eml"
    later.write_bytes(message(subject="Später"))
    with pytest.raises(CommandError, match=r"not filed: .*missing\.eml"):
        call_command("mail_import", str(good), str(missing), str(later))
    assert "filed 2, duplicates 0, failed 1" in capsys.readouterr().out
    assert InboundEmail.objects.count() == 2


def test_a_superscript_digit_as_reply_to_is_no_error(client, user_with_role, contact):
    case = case_create(customer=contact.customer, contact=contact, channel="phone", subject="x")
    client.force_login(user_with_role(Role.SUPPORT))
    assert client.get(f"/cases/{case.pk}/?reply_to=%C2%B2").status_code == 200
    assert client.get(f"/cases/{case.pk}/emails/form/?reply_to=%C2%B2").status_code == 200


def test_a_stranger_naming_someone_elses_case_lands_in_the_inbox(contact):
    case = case_create(customer=contact.customer, contact=contact, channel="phone", subject="x")
    case_set_status(case=case, status="resolved")
    email = mail_file(
        raw=message(sender="evil@attacker.example", subject=f"[{case.reference}] hello")
    ).email
    assert (email.status, email.case, email.customer) == ("inbox", None, None)
    assert case.reference in email.note
    assert Case.objects.get(pk=case.pk).status == CaseStatus.RESOLVED
    # A colleague already in the conversation may write on it.
    email_send(case=case, subject="x", body="Antwort")  # to the contact
    other = mail_file(raw=message(subject=f"Re: [{case.reference}] x")).email
    assert other.case == case


def test_a_customers_answer_moves_a_waiting_case_back_to_open(contact):
    case = case_create(customer=contact.customer, contact=contact, channel="phone", subject="x")
    case_set_status(case=case, status="waiting")
    mail_file(raw=message(subject=f"Re: [{case.reference}] x"))
    assert Case.objects.get(pk=case.pk).status == CaseStatus.OPEN


def test_a_from_address_with_a_display_name_threads_and_is_not_answered(settings, contact):
    settings.DEFAULT_FROM_EMAIL = "Q3 Support <support@q3software.example>"
    assert new_message_id().endswith("@q3software.example>")
    assert not new_message_id().endswith(">>")
    assert not may_answer_automatically("SUPPORT@q3software.example")
    settings.INBOUND_MAIL_URL = "imaps://inbox%40q3software.example:pw@mail.example.ch/INBOX"
    assert not may_answer_automatically("inbox@q3software.example")


def test_replies_to_a_case_closed_long_ago_share_one_follow_up(contact):
    case = case_create(customer=contact.customer, contact=contact, channel="phone", subject="x")
    case_set_status(case=case, status="closed")
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - timedelta(days=30))
    first = mail_file(raw=message(subject=f"Re: [{case.reference}] x")).email
    second = mail_file(raw=message(subject=f"Re: [{case.reference}] x")).email
    assert first.case == second.case != case
    assert Case.objects.count() == 2


def test_an_email_whose_task_was_lost_can_be_sent_again(contact):
    case = case_create(customer=contact.customer, contact=contact, channel="phone", subject="x")
    email = email_send(case=case, subject="x", body="Antwort")
    with pytest.raises(Exception, match="Only a failed"):
        email_retry(email=email)
    SupportEmail.objects.filter(pk=email.pk).update(
        created_at=timezone.now() - timedelta(minutes=20)
    )
    email.refresh_from_db()
    assert email.retryable
    email_retry(email=email)


def test_a_prefilled_reply_subject_of_full_length_is_accepted(client, user_with_role, contact):
    email = mail_file(raw=message(subject="x" * 190)).email
    client.force_login(user_with_role(Role.SUPPORT))
    subject = f"Re: [{email.case.reference}] " + "x" * 185
    assert len(subject) <= 200
    client.post(
        f"/cases/{email.case.pk}/emails/",
        {"subject": subject, "body": "Antwort", "reply_to": email.pk},
    )
    assert SupportEmail.objects.get().subject == subject


def test_attachments_are_not_served_under_the_senders_file_name(contact):
    mail_file(raw=message(attachments=[("Lohnausweis.pdf", b"%PDF", "application", "pdf")]))
    attachment = EmailAttachment.objects.get()
    assert attachment.filename == "Lohnausweis.pdf"
    assert "Lohnausweis" not in attachment.file.name
