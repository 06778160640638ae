"""The support mailbox end to end: messages dropped into the real test IMAP server become
cases, replies thread into them, nothing is filed twice (R15). Today: 02.03.2026."""

import pytest
from django.core.management import call_command

import cases.inbound
from cases.emails import email_send
from cases.models import Case, InboundEmail, InboundStatus
from cases.services import case_create
from tests.cases.test_inbound import message
from tests.factories import ContactFactory, CustomerFactory, rental_customer
from tests.support import imap as imap_server

imap_mailbox = imap_server.imap_mailbox  # the fixture: a fresh mailbox on the test server

pytestmark = [pytest.mark.imap, pytest.mark.django_db]


@pytest.fixture
def mailbox(imap_mailbox, settings):
    settings.INBOUND_MAIL_URL = imap_mailbox.url
    return imap_mailbox


@pytest.fixture
def contact():
    customer = rental_customer(variant="profi", language="de")
    return ContactFactory(customer=customer, name="Anna Muster", email="anna.muster@example.ch")


def fetch(capsys) -> str:
    call_command("mail_fetch")
    return capsys.readouterr().out


def test_a_dropped_message_becomes_a_case_and_its_reply_threads_into_it(mailbox, contact, capsys):
    mailbox.deliver(message(subject="Lohnlauf bricht ab"))
    assert "filed 1" in fetch(capsys)
    case = Case.objects.get()
    assert (case.customer, case.contact, case.channel) == (contact.customer, contact, "email")
    assert mailbox.messages("INBOX") == []  # moved out of the way once filed

    answer = email_send(case=case, subject="Re: Lohnlauf bricht ab", body="Bitte 12.3 laden.")
    mailbox.deliver(message(subject="AW: Lohnlauf bricht ab", in_reply_to=answer.message_id))
    fetch(capsys)
    assert Case.objects.count() == 1
    assert InboundEmail.objects.filter(case=case).count() == 2


def test_an_unknown_sender_lands_in_the_inbox_and_a_customer_without_licence_is_a_lead(
    mailbox, capsys
):
    CustomerFactory(email="info@alt.example")
    mailbox.deliver(message(sender="someone@unknown.example"))
    mailbox.deliver(message(sender="info@alt.example"))
    assert "filed 2" in fetch(capsys)
    statuses = sorted(InboundEmail.objects.values_list("status", flat=True))
    assert statuses == [InboundStatus.FILED, InboundStatus.INBOX]
    assert Case.objects.get().kind == "lead"


def test_the_same_message_delivered_twice_is_filed_once(mailbox, contact, capsys):
    raw = message()
    mailbox.deliver(raw)
    mailbox.deliver(raw)
    out = fetch(capsys)
    assert "filed 1, duplicates 1" in out
    assert InboundEmail.objects.count() == 1 and Case.objects.count() == 1
    assert mailbox.messages("INBOX") == []
    assert "filed 0" in fetch(capsys)  # nothing left to fetch


def test_an_interrupted_run_files_the_rest_next_time(mailbox, contact, capsys, monkeypatch):
    mailbox.deliver(message(subject="Erste"))
    mailbox.deliver(message(subject="Zweite"))
    real = cases.inbound.mail_file
    calls = []

    def failing_on_the_second(*, raw):
        calls.append(raw)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(raw=raw)

    monkeypatch.setattr(cases.inbound, "mail_file", failing_on_the_second)
    assert "filed 1, duplicates 0, failed 1" in fetch(capsys)
    assert len(mailbox.messages("INBOX")) == 1  # left where it was
    monkeypatch.setattr(cases.inbound, "mail_file", real)
    assert "filed 1" in fetch(capsys)
    assert sorted(Case.objects.values_list("subject", flat=True)) == ["Erste", "Zweite"]


def test_a_reply_to_a_case_opened_at_the_desk_threads_by_its_reference(mailbox, contact, capsys):
    case = case_create(customer=contact.customer, contact=contact, channel="phone", subject="MWST")
    mailbox.deliver(message(subject=f"Re: [{case.reference}] MWST"))
    fetch(capsys)
    assert InboundEmail.objects.get().case == case and Case.objects.count() == 1
