"""The pages show the state of e-mails, callbacks and cases by asking the models
(``email.is_failed``, ``callback.is_open``, ``case.is_waiting``…): each state still gets its
badge and its buttons. A misspelt property renders as false without an error, so every
branch is looked at here."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases.callbacks import callback_attempt, callback_schedule
from cases.models import (
    Callback,
    CallbackStatus,
    Case,
    CaseStatus,
    EmailStatus,
    InboundEmail,
    InboundStatus,
    SupportEmail,
)
from cases.services import case_create, case_set_status
from q3helpdesk.roles import Role
from tests.factories import rental_customer

pytestmark = pytest.mark.django_db

ZURICH = ZoneInfo("Europe/Zurich")


@pytest.fixture(autouse=True)
def monday_morning():
    with time_machine.travel(datetime(2026, 3, 2, 9, 30, tzinfo=ZURICH)):
        yield


@pytest.fixture
def desk(client, user_with_role):
    client.force_login(user_with_role(Role.SUPPORT, username="stefan"))
    return client


@pytest.fixture
def case():
    customer = rental_customer(number="10001", email="info@muller.example")
    return case_create(customer=customer, channel="email", subject="Lohnlauf")


def support_email(case, status, subject):
    return SupportEmail.objects.create(
        case=case,
        to="info@muller.example",
        subject=subject,
        body="Guten Tag",
        language="de",
        status=status,
        error="SMTPConnectError: (421, 'down')" if status == EmailStatus.FAILED else "",
    )


def item_of(html: str, testid: str, text: str) -> str:
    """The element with ``data-testid=testid`` that holds ``text``."""
    (item,) = [part for part in html.split(f'data-testid="{testid}"')[1:] if text in part[:2000]]
    return item.split("</li>")[0]


# --- the models ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", EmailStatus.values)
def test_each_email_status_has_its_one_question(status):
    email = SupportEmail(status=status)
    answers = {"sent": email.is_sent, "sending": email.is_sending, "failed": email.is_failed}
    assert [name for name, yes in answers.items() if yes] == ([status] if status in answers else [])


@pytest.mark.parametrize("status", InboundStatus.values)
def test_each_inbound_status_has_its_one_question(status):
    email = InboundEmail(status=status)
    assert (email.is_filed, email.is_unreadable) == (status == "filed", status == "unreadable")


@pytest.mark.parametrize("status", CallbackStatus.values)
def test_each_callback_status_has_its_one_question(status):
    callback = Callback(status=status)
    assert (callback.is_open, callback.is_done) == (status == "open", status == "done")


@pytest.mark.parametrize("status", CaseStatus.values)
def test_only_a_waiting_case_is_waiting_and_it_is_still_active(status):
    case = Case(status=status)
    assert case.is_waiting == (status == "waiting")
    assert not case.is_waiting or case.is_active


# --- the pages ------------------------------------------------------------------------------


def test_each_email_state_has_its_badge_on_the_case_page(desk, case):
    for status in EmailStatus.values:
        support_email(case, status, subject=f"Mail {status}")
    html = desk.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    sent = item_of(html, "timeline-outgoing", "Mail sent")
    assert 'data-testid="email-sent"' in sent and "email-failed" not in sent
    failed = item_of(html, "timeline-outgoing", "Mail failed")
    assert 'data-testid="email-failed"' in failed and "SMTPConnectError" in failed
    assert 'data-testid="email-retry"' in failed  # the desk may send it again
    sending = item_of(html, "timeline-outgoing", "Mail sending")
    assert "text-bg-info" in sending and ">sending<" in sending
    queued = item_of(html, "timeline-outgoing", "Mail queued")
    assert ">queued<" in queued and "email-retry" not in queued


def test_a_failed_email_is_marked_on_the_customer_page(desk, case):
    support_email(case, EmailStatus.FAILED, subject="Mail failed")
    support_email(case, EmailStatus.SENT, subject="Mail sent")
    html = desk.get("/customers/10001/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">failed<" in item_of(html, "customer-email", "Mail failed")
    assert ">failed<" not in item_of(html, "customer-email", "Mail sent")


def test_open_and_reached_callbacks_on_the_case_page(desk, case):
    windows = [(date(2026, 3, 2), time(10, 0), time(11, 0))]
    callback_schedule(case=case, phone="031 381 22 10", reason="Open one", windows=windows)
    reached = callback_schedule(
        case=case, phone="031 381 22 11", reason="Reached one", windows=windows
    )
    callback_attempt(callback=reached, outcome="reached")
    html = desk.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    still_open = item_of(html, "case-callback", "Open one")
    assert "text-bg-primary" in still_open and 'data-testid="claim"' in still_open
    done = item_of(html, "case-callback", "Reached one")
    assert "text-bg-success" in done and 'data-testid="claim"' not in done


def test_an_unreadable_message_is_marked_in_the_inbox_and_a_filed_one_shows_its_case(
    desk, case, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    unreadable = InboundEmail.objects.create(
        message_id="<u@x.example>", status=InboundStatus.UNREADABLE, raw="u.eml"
    )
    filed = InboundEmail.objects.create(
        message_id="<f@x.example>", status=InboundStatus.FILED, case=case, raw="f.eml"
    )
    assert 'data-testid="badge-unreadable"' in desk.get("/inbox/").content.decode()
    page = desk.get(f"/inbox/{unreadable.pk}/").content.decode()
    assert 'data-testid="badge-unreadable"' in page and 'data-testid="inbox-assign"' in page
    page = desk.get(f"/inbox/{filed.pk}/").content.decode()
    assert 'data-testid="inbox-filed"' in page and 'data-testid="inbox-assign"' not in page
    assert case.reference in page


def test_a_waiting_case_is_marked_on_the_home_page(client, user_with_role):
    stefan = user_with_role(Role.SUPPORT, username="stefan")
    customer = rental_customer()
    for subject in ("Wartet auf Kunde", "Offen"):
        case_create(customer=customer, channel="phone", subject=subject, assignee=stefan)
    case_set_status(case=Case.objects.get(subject="Wartet auf Kunde"), status="waiting")
    client.force_login(stefan)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Waiting for customer</span>" in item_of(html, "home-case", "Wartet auf Kunde")
    assert "Waiting for customer" not in item_of(html, "home-case", "Offen")
