"""Support e-mails: the subject must fit its column with the "[C-n] " put in front of it.

Refused with a clear message before anything is written, by the service and on the case
page; on PostgreSQL the column would otherwise refuse it with a 500.
"""

import pytest
from django.core.exceptions import ValidationError

from cases.emails import email_send, subject_max_length
from cases.forms import EmailForm
from cases.models import SupportEmail
from q3helpdesk.roles import Role
from tests.factories import make_case, rental_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    customer = rental_customer(email="info@favre.example")
    return make_case(customer, channel="email", subject="Question TVA")


def test_subject_that_fits_the_form_but_not_the_column_is_refused(case):
    prefix = f"[{case.reference}] "
    longest = 200 - len(prefix)
    assert subject_max_length(case) == longest
    with pytest.raises(ValidationError) as exc:
        email_send(case=case, subject="x" * (longest + 1), body="Bonjour")
    assert exc.value.messages == [
        f"The subject has at most {longest} characters: the case reference"
        f" [{case.reference}] is put in front of it."
    ]
    assert not SupportEmail.objects.exists()


def test_subject_of_the_allowed_length_fills_the_column_exactly(case):
    longest = subject_max_length(case)
    email = email_send(case=case, subject="x" * longest, body="Bonjour")
    email.refresh_from_db()
    assert len(email.subject) == 200
    assert email.subject == f"[{case.reference}] " + "x" * longest


def test_case_page_shows_the_error_and_stores_nothing(client, user_with_role, case):
    client.force_login(user_with_role(Role.SUPPORT))
    subject = "x" * 200  # fits the column, not the column with "[C-n] " in front
    response = client.post(
        f"/cases/{case.pk}/emails/",
        {"subject": subject, "body": "Bonjour"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    # The form knows the case's limit and says it before the service is asked.
    assert f"at most {subject_max_length(case)} characters" in response.content.decode()
    assert not SupportEmail.objects.exists()


def test_email_form_takes_a_reply_subject_that_carries_the_reference_already(case):
    """The form holds the column's 200 characters; the service measures the subject as it
    will be stored (a prefilled "Re: [C-n] …" has its reference already)."""
    reply = f"Re: [{case.reference}] " + "x" * (200 - len(f"Re: [{case.reference}] "))
    form = EmailForm({"subject": reply, "body": "Bonjour"}, case=case)
    assert form.is_valid()
    assert email_send(case=case, subject=reply, body="Bonjour").subject == reply
    with pytest.raises(ValidationError, match=f"at most {subject_max_length(case)} characters"):
        email_send(case=case, subject="x" * (subject_max_length(case) + 1), body="Bonjour")


@pytest.mark.postgresql
def test_long_subject_gives_an_error_not_a_database_failure_on_postgresql(case):
    with pytest.raises(ValidationError, match="The subject has at most"):
        email_send(case=case, subject="x" * 200, body="Bonjour")
    email = email_send(case=case, subject="x" * subject_max_length(case), body="Bonjour")
    assert len(SupportEmail.objects.get(pk=email.pk).subject) == 200
