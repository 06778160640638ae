"""What fails unseen (the worker's mail, a PDF nobody asked for yet, the mailbox read by a
timer) reaches the log, with ids to find the row and without the customer's data; and
settings.LOGGING gives every app a logger whose level LOG_LEVEL sets."""

import logging
import re
import smtplib
import socket
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from billing.pdf import invoice_pdf
from billing.services import invoice_pdf_stored
from cases.emails import deliver_support_email, email_send
from cases.inbound import mail_file
from cases.mail_fetch import FetchResult, MailFetchError, fetch_once, mailbox_config
from q3helpdesk.roles import Role
from tests.billing.test_invoice_pdf import issued_invoice
from tests.factories import make_case, rental_customer
from tests.q3helpdesk.test_settings import _manage

APPS = ("customers", "billing", "cases", "q3helpdesk")
ADDRESS = "info@muller.example"


class RecipientRefusingBackend(BaseEmailBackend):
    """A mail server that refuses the recipient and says so, quoting the address."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused({ADDRESS: (550, b"5.1.1 <info@muller.example>?")})


def _records(caplog, name: str, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == name and r.levelno == level]


# --- support e-mail ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_failing_smtp_send_logs_an_error_with_the_email_and_case_ids(settings, caplog):
    case = make_case(rental_customer(email=ADDRESS), channel="email")
    email = email_send(case=case, subject="Antwort", body="Guten Tag")
    settings.EMAIL_BACKEND = "tests.support.mail.UnreachableSMTPBackend"
    with caplog.at_level(logging.INFO, logger="cases.emails"):
        assert deliver_support_email.call(email.pk) == "failed"
    (record,) = _records(caplog, "cases.emails", logging.ERROR)
    assert record.getMessage() == (
        f"Support e-mail {email.pk} of case {case.pk} not sent (attempt 1): SMTPConnectError 421"
    )
    assert not record.exc_info  # a server that refuses is no bug: no traceback
    assert ADDRESS not in caplog.text and "Guten Tag" not in caplog.text


@pytest.mark.django_db
def test_a_refused_recipient_is_logged_by_its_code_not_its_address(settings, caplog):
    case = make_case(rental_customer(email=ADDRESS), channel="email")
    email = email_send(case=case, subject="Antwort", body="Guten Tag")
    settings.EMAIL_BACKEND = f"{__name__}.RecipientRefusingBackend"
    with caplog.at_level(logging.INFO, logger="cases.emails"):
        assert deliver_support_email.call(email.pk) == "failed"
    (record,) = _records(caplog, "cases.emails", logging.ERROR)
    assert record.getMessage().endswith("not sent (attempt 1): SMTPRecipientsRefused 550")
    assert ADDRESS not in caplog.text
    email.refresh_from_db()
    assert ADDRESS in email.error  # the desk, on the case page, still reads the whole reply


@pytest.mark.django_db
def test_a_bug_while_sending_is_logged_with_its_traceback(settings, caplog, monkeypatch):
    case = make_case(rental_customer(email=ADDRESS), channel="email")
    email = email_send(case=case, subject="Antwort", body="Guten Tag")

    def broken(self):
        raise TypeError("header value is not a string")

    monkeypatch.setattr("cases.emails.EmailMessage.send", broken)
    with caplog.at_level(logging.INFO, logger="cases.emails"):
        assert deliver_support_email.call(email.pk) == "failed"
    (record,) = _records(caplog, "cases.emails", logging.ERROR)
    assert "TypeError: header value is not a string" in record.getMessage()
    assert record.exc_info is not None


@pytest.mark.django_db
def test_a_sent_email_is_logged_at_info(caplog):
    case = make_case(rental_customer(email=ADDRESS), channel="email")
    email = email_send(case=case, subject="Antwort", body="Guten Tag")
    with caplog.at_level(logging.INFO, logger="cases.emails"):
        assert deliver_support_email.call(email.pk) == "sent"
    assert f"Support e-mail {email.pk} of case {case.pk} sent" in caplog.text


# --- invoice PDFs -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_pdf_that_cannot_be_rendered_logs_a_warning_with_the_invoice(caplog):
    invoice = issued_invoice(language="en")
    invoice.debtor_name += "\x00"  # a row written before the input checks
    with caplog.at_level(logging.INFO, logger="billing"), pytest.raises(ValidationError):
        invoice_pdf(invoice=invoice)
    (record,) = _records(caplog, "billing.pdf", logging.WARNING)
    assert record.getMessage().startswith(
        f"PDF of invoice 2026-00017 (id {invoice.pk}) not rendered: The QR-bill of invoice"
        " 2026-00017 cannot be made"
    )
    assert "U+0000" in record.getMessage()
    assert "Menuiserie" not in caplog.text


@pytest.mark.django_db
def test_a_download_that_cannot_be_rendered_tells_the_user_and_the_log(
    client, user_with_role, monkeypatch, caplog, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    invoice = issued_invoice(language="en")
    # An image WeasyPrint cannot load: it logs that and would print the invoice without it.
    monkeypatch.setattr(
        "billing.pdf._qr_svg_data_uri", lambda invoice: "data:image/svg+xml;base64,PHN2Zz4="
    )
    client.force_login(user_with_role(Role.BILLING))
    with caplog.at_level(logging.INFO, logger="billing"):
        response = client.get(f"/billing/invoices/{invoice.pk}/pdf/")
    assert response.status_code == 302  # back to the invoice, with the reason as a message
    (record,) = _records(caplog, "billing.pdf", logging.WARNING)
    assert f"PDF of invoice 2026-00017 (id {invoice.pk}) not rendered" in record.getMessage()
    assert not list(tmp_path.rglob("*.pdf"))


@pytest.mark.django_db
def test_a_stored_pdf_is_logged_at_info(caplog, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    invoice = issued_invoice(language="en")
    with caplog.at_level(logging.INFO, logger="billing"):
        invoice_pdf_stored(invoice=invoice)
    assert (
        f"PDF of invoice 2026-00017 (id {invoice.pk}) stored as invoices/2026/2026-00017.pdf"
        in caplog.text
    )


# --- incoming mail --------------------------------------------------------------------------


def _free_port() -> int:
    """A port on 127.0.0.1 nothing listens on (taken from the system, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_mail_fetch_that_cannot_connect_logs_an_error_without_the_password(caplog):
    config = mailbox_config(f"imap://support:Geheim-7Pa55@127.0.0.1:{_free_port()}/INBOX")
    with caplog.at_level(logging.INFO, logger="cases"), pytest.raises(MailFetchError):
        fetch_once(config, lambda raw: True)
    (record,) = _records(caplog, "cases.mail_fetch", logging.ERROR)
    assert record.getMessage().startswith(f"Mail fetch failed: {config.display}: cannot connect")
    assert "Geheim-7Pa55" not in caplog.text


def test_a_mail_fetch_run_logs_what_it_fetched(caplog, monkeypatch):
    config = mailbox_config("imap://support:Geheim-7Pa55@127.0.0.1/INBOX")
    result = FetchResult(seen=3, filed=1, duplicates=1, failed=1)
    monkeypatch.setattr("cases.mail_fetch._fetch_locked", lambda *args: result)
    with caplog.at_level(logging.INFO, logger="cases"):
        assert fetch_once(config, lambda raw: True) is result
    assert (
        f"Fetched 3 messages from {config.display}: filed 1, duplicates 1, failed 1" in caplog.text
    )


def test_an_empty_mail_fetch_run_stays_out_of_the_info_log(caplog, monkeypatch):
    # mail_fetch runs every minute: a run that found nothing is no news.
    config = mailbox_config("imap://support:Geheim-7Pa55@127.0.0.1/INBOX")
    monkeypatch.setattr("cases.mail_fetch._fetch_locked", lambda *args: FetchResult())
    with caplog.at_level(logging.INFO, logger="cases"):
        fetch_once(config, lambda raw: True)
    assert not [r for r in caplog.records if r.name.startswith("cases")]


@pytest.mark.django_db
def test_a_filed_message_is_logged_by_its_ids_not_its_sender_or_text(caplog):
    msg = EmailMessage()
    msg["From"] = "Peter Keller <p.keller@bluewin.example>"
    msg["To"] = "support@q3software.example"
    msg["Subject"] = "Frage zur Lohnabrechnung"
    msg["Date"] = format_datetime(timezone.now())
    msg["Message-ID"] = "<log-1@bluewin.example>"
    msg.set_content("Grüezi, bitte rufen Sie zurück: 079 555 12 34")
    with caplog.at_level(logging.INFO, logger="cases"):
        filed = mail_file(raw=msg.as_bytes())
    assert f"Incoming message <log-1@bluewin.example> filed as {filed.email.pk}: inbox" in (
        caplog.text
    )
    for personal in ("Keller", "Lohnabrechnung", "079 555"):
        assert personal not in caplog.text


# --- settings.LOGGING ----------------------------------------------------------------------


def test_each_app_has_a_logger_at_log_level():
    loggers = django_settings.LOGGING["loggers"]
    for app in APPS:
        assert loggers[app] == {"level": django_settings.LOG_LEVEL}
        assert logging.getLogger(app).level == logging.getLevelName(django_settings.LOG_LEVEL)
    # Everything else (the libraries) reports its warnings only; Django its requests too.
    assert django_settings.LOGGING["root"] == {"handlers": ["console"], "level": "WARNING"}
    assert loggers["django"]["level"] == "INFO"


def _log_lines(**env) -> list[str]:
    """What ``manage.py`` writes on standard error when the apps and a library log."""
    code = (
        "import logging; "
        "logging.getLogger('billing.tasks').debug('debug line'); "
        "logging.getLogger('cases.emails').info('info line'); "
        "logging.getLogger('customers').warning('warning line'); "
        "logging.getLogger('some.library').info('library info line'); "
        "logging.getLogger('some.library').warning('library warning line')"
    )
    result = _manage("shell", "-c", code, DEBUG="on", **env)
    assert result.returncode == 0, result.stderr
    return [line for line in result.stderr.splitlines() if " line" in line]


def test_log_lines_carry_time_level_and_logger_and_log_level_chooses_them():
    lines = _log_lines()  # LOG_LEVEL's default: INFO
    assert [line.split(" ", 2)[2] for line in lines] == [
        "INFO cases.emails: info line",
        "WARNING customers: warning line",
        "WARNING some.library: library warning line",
    ]
    assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ", line) for line in lines)

    debug = [line.split(" ", 2)[2] for line in _log_lines(LOG_LEVEL="debug")]
    assert debug[:2] == ["DEBUG billing.tasks: debug line", "INFO cases.emails: info line"]
    assert "INFO some.library: library info line" not in debug  # libraries stay quiet

    quiet = [line.split(" ", 2)[2] for line in _log_lines(LOG_LEVEL="WARNING")]
    assert quiet == [
        "WARNING customers: warning line",
        "WARNING some.library: library warning line",
    ]


def test_an_unknown_log_level_stops_start_up_with_a_clear_message():
    result = _manage("check", DEBUG="on", LOG_LEVEL="verbose")
    assert result.returncode != 0
    assert "LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not 'VERBOSE'" in (
        result.stderr
    )
