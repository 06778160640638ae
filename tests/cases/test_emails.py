"""Support e-mails: the credit statement (R10), sent by the worker after commit, retries."""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from billing.services import record_usage
from cases.emails import credit_statement, email_retry, email_send
from cases.models import SupportEmail
from cases.services import case_create
from q3helpdesk.roles import Role
from tests.factories import ContactFactory, CustomerFactory, rental_customer

# The worker runs for real, as in production: it needs committed rows and its own
# transactions, so these tests commit (and restore the migrated reference data after).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DAY = date(2026, 3, 2)


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


@pytest.mark.parametrize(
    ("language", "line"),
    [
        ("fr", "Votre avoir actuel : 10 min, valable jusqu'au 31.12.2026."),
        ("de", "Ihr aktuelles Supportguthaben: 10 Min., gültig bis 31.12.2026."),
        ("en", "Your current support credit: 10 min, valid until 31.12.2026."),
    ],
)
def test_credit_statement_in_the_customers_language(language, line):
    # advanced with two main modules: 15 minutes; a 1-minute call is charged 5.
    customer = rental_customer(variant="advanced", modules=["COFI", "SAL"], language=language)
    record_usage(customer=customer, activity="support", minutes=1, performed_on=DAY, work_ref="C-1")
    assert credit_statement(customer=customer, on=DAY) == line


def test_credit_statement_without_credit():
    customer = rental_customer(rent=Decimal(0), language="fr")
    assert credit_statement(customer=customer, on=DAY) == "Votre avoir actuel : 0 min."


def test_email_is_stored_then_sent_by_the_worker_after_commit():
    customer = rental_customer(variant="profi", language="fr")
    contact = ContactFactory(customer=customer, email="claire@dupont.example")
    case = case_create(customer=customer, contact=contact, channel="email", subject="TVA")
    with transaction.atomic():  # e.g. the request that writes the reply
        email = email_send(case=case, subject="Votre question", body="Bonjour,\nvoici…")
        assert DBTaskResult.objects.count() == 0  # nothing is queued before the commit
    assert DBTaskResult.objects.count() == 1 and mail.outbox == []  # the worker sends
    run_worker()
    email.refresh_from_db()
    assert email.status == "sent" and email.sent_at is not None
    sent = mail.outbox[0]
    assert (
        sent.to == ["claire@dupont.example"]
        and sent.subject == f"[{case.reference}] Votre question"
    )
    assert sent.body.rstrip().endswith("Votre avoir actuel : 15 min, valable jusqu'au 31.12.2026.")


def test_failure_is_visible_and_a_retry_sends_it(settings):
    customer = rental_customer(language="de", email="info@muller.example")
    case = case_create(customer=customer, channel="email", subject="Lohn")
    settings.EMAIL_BACKEND = "tests.support.mail.UnreachableSMTPBackend"
    email = email_send(case=case, subject="Antwort", body="Guten Tag")
    run_worker()
    email.refresh_from_db()
    assert email.status == "failed" and "SMTPConnectError" in email.error
    assert email.attempts == 1 and SupportEmail.objects.count() == 1  # nothing lost

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    email_retry(email=email)
    run_worker()
    email.refresh_from_db()
    assert (email.status, email.attempts, email.error) == ("sent", 2, "")
    assert mail.outbox[0].to == ["info@muller.example"]
    with pytest.raises(ValidationError, match="Only a failed e-mail"):
        email_retry(email=email)


def test_email_needs_an_address_and_text():
    customer = CustomerFactory(email="")
    from tests.factories import LicenceFactory, RentalPeriodFactory

    RentalPeriodFactory(licence=LicenceFactory(customer=customer))
    case = case_create(customer=customer, channel="email", subject="x")
    with pytest.raises(ValidationError, match="e-mail address"):
        email_send(case=case, subject="x", body="y")
    customer.email = "a@b.example"
    customer.save()
    for subject, body in (("", "y"), ("x" * 201, "y"), ("x", " ")):
        with pytest.raises(ValidationError):
            email_send(case=case, subject=subject, body=body)
    assert not SupportEmail.objects.exists()


def test_reply_from_the_case_page(client, user_with_role):
    customer = rental_customer(language="fr", email="info@favre.example")
    case = case_create(customer=customer, channel="email", subject="Question")
    client.force_login(user_with_role(Role.SUPPORT))
    response = client.post(f"/cases/{case.pk}/emails/", {"subject": "Réponse", "body": "Bonjour"})
    assert response.status_code == 302
    run_worker()
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Réponse" in page and 'data-testid="email-sent"' in page
    bad = client.post(f"/cases/{case.pk}/emails/", {"subject": "", "body": ""}, follow=True)
    assert SupportEmail.objects.count() == 1 and bad.status_code == 200


def test_support_plus_minutes_are_stated_only_to_registered_persons():
    customer = rental_customer(
        variant="profi",
        modules=["COFI"],
        start=date(2026, 3, 1),
        end=date(2027, 2, 28),
        language="fr",
    )  # 15 min
    anna, ben = ContactFactory(customer=customer), ContactFactory(customer=customer)
    from tests.factories import support_plus

    support_plus(customer, [anna], start=date(2026, 3, 1), end=date(2026, 12, 31))
    assert credit_statement(customer=customer, on=DAY, contact=ben) == (
        "Votre avoir actuel : 15 min, valable jusqu'au 28.02.2027."
    )
    assert credit_statement(customer=customer, on=DAY, contact=anna) == (
        "Votre avoir actuel : 120 min, valable jusqu'au 31.12.2026; "
        "15 min, valable jusqu'au 28.02.2027."
    )


def test_no_e_mail_on_a_lead():
    customer = CustomerFactory(email="lead@prospect.example")
    lead = case_create(customer=customer, channel="phone", subject="Interested", kind="lead")
    with pytest.raises(ValidationError, match="not on leads"):
        email_send(case=lead, subject="x", body="y")
    assert not SupportEmail.objects.exists()


def test_the_mail_server_is_talked_to_outside_any_transaction(settings):
    from tests.support.mail import TransactionRecordingBackend

    settings.EMAIL_BACKEND = "tests.support.mail.TransactionRecordingBackend"
    TransactionRecordingBackend.seen = []
    customer = rental_customer(email="info@example.ch")
    case = case_create(customer=customer, channel="phone", subject="Lohnlauf")
    email = email_send(case=case, subject="Lohnlauf", body="Erledigt.")
    run_worker()
    assert TransactionRecordingBackend.seen == [
        {"in_transaction": False, "subject": f"[{case.reference}] Lohnlauf"}
    ]
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 1)


def test_a_send_interrupted_by_a_dead_worker_can_be_retried_after_a_while():
    from datetime import timedelta

    from django.utils import timezone

    customer = rental_customer(email="info@example.ch")
    case = case_create(customer=customer, channel="phone", subject="Lohnlauf")
    email = email_send(case=case, subject="Lohnlauf", body="Erledigt.")
    # The worker claimed it, then died before recording the result.
    SupportEmail.objects.filter(pk=email.pk).update(status="sending", claimed_at=timezone.now())
    with pytest.raises(ValidationError, match="Only a failed e-mail"):
        email_retry(email=email)
    SupportEmail.objects.filter(pk=email.pk).update(
        claimed_at=timezone.now() - timedelta(minutes=16)
    )
    email_retry(email=email)
    run_worker()
    email.refresh_from_db()
    assert email.status == "sent" and len(mail.outbox) == 1
