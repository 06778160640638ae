"""Fetching the support mailbox over IMAP: each message filed exactly once.

The ``imap`` tests run against the real Dovecot of ``scripts/imap-test-server.sh``; the
filing side is a fake here (``tests/cases/test_inbound.py`` tests the real one).
"""

import dataclasses
import email
import imaplib
import io
import logging
import ssl
import threading
import time
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command

import cases.inbound
from cases import mail_fetch
from cases.mail_fetch import (
    FetchResult,
    MailboxBusy,
    MailboxConfig,
    MailFetchError,
    fetch_once,
    mailbox_config,
    mailbox_lock,
)
from tests.support import imap as imap_server
from tests.support.imap import (
    CERTIFICATE,
    HOST,
    PASSWORD,
    TLS_PORT,
    UMLAUT_PASSWORD,
    UMLAUT_USER,
)

imap_mailbox = imap_server.imap_mailbox  # the fixture: a fresh mailbox on the test server

SECRET = "Geheim-7Pa55"  # a password that must never show up in a message


def message(n: int, *, message_id: str | None = None) -> bytes:
    message_id = message_id or f"<msg-{n}-{time.monotonic_ns()}@customer.example>"
    return (
        "From: Anna Muster <anna@customer.example>\r\n"
        "To: support@q3software.ch\r\n"
        f"Subject: =?utf-8?q?Pr=C3=BCfung_{n}?=\r\n"
        f"Message-ID: {message_id}\r\n"
        "Date: Thu, 26 Nov 2026 09:15:00 +0100\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"Bonjour, la facture {n} ne s'ouvre pas.\r\n"
    ).encode()


def message_id_of(raw: bytes) -> str:
    return email.message_from_bytes(raw)["Message-ID"]


class FakeFiler:
    """The filing side: idempotent by Message-ID, like ``cases.inbound.mail_file``."""

    def __init__(self, *, fail_for: set[str] = frozenset(), delay: float = 0.0):
        self.fail_for = set(fail_for)
        self.delay = delay
        self.calls: list[str] = []
        self.filed: list[str] = []
        self.raws: list[bytes] = []
        self._lock = threading.Lock()

    def __call__(self, raw: bytes) -> bool:
        message_id = message_id_of(raw)
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            self.calls.append(message_id)
            if message_id in self.fail_for:
                raise RuntimeError("database is down")
            if message_id in self.filed:
                return False
            self.filed.append(message_id)
            self.raws.append(raw)
            return True


# --- the mailbox URL ---------------------------------------------------------------------


def test_imaps_url_with_encoded_user_and_filed_folder():
    config = mailbox_config(
        f"imaps://support%40q3software.ch:{SECRET}@mail.example.ch:993/INBOX?filed=Filed"
    )
    assert config == MailboxConfig(
        host="mail.example.ch",
        port=993,
        username="support@q3software.ch",
        password=SECRET,
        security="tls",
        folder="INBOX",
        filed_folder="Filed",
    )


def test_url_defaults_ports_folder_and_flag_mode():
    assert mailbox_config("imaps://u:p@mail.example.ch").port == 993
    config = mailbox_config("imap://u:p@mail.example.ch?starttls=1")
    assert (config.security, config.port, config.folder) == ("starttls", 143, "INBOX")
    assert config.filed_folder is None  # \Seen + $Q3Filed instead of moving


def test_url_decodes_password_nested_and_non_ascii_folders():
    config = mailbox_config(
        "imaps://support%40q3.ch:p%40ss%2Fw%3Frd@mail.example.ch/INBOX%2FSupport?filed=Trait%C3%A9"
    )
    assert config.password == "p@ss/w?rd"
    assert config.folder == "INBOX/Support"
    assert config.filed_folder == "Traité"


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.0.0.53", "[::1]"])
def test_imap_without_tls_allowed_to_localhost(host):
    assert mailbox_config(f"imap://u:p@{host}:10143/INBOX").security == "plain"


def test_imap_without_tls_to_another_host_refused():
    with pytest.raises(ValueError) as error:
        mailbox_config(f"imap://support:{SECRET}@mail.example.ch/INBOX")
    assert "only allowed to localhost, not to mail.example.ch" in str(error.value)
    assert "imaps://" in str(error.value)
    assert SECRET not in str(error.value)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        (f"https://u:{SECRET}@mail.example.ch/INBOX", "must start with imaps:// or imap://"),
        (f"mail.example.ch:{SECRET}", "must start with imaps:// or imap://"),
        ("imaps://mail.example.ch/INBOX", "no user name"),
        ("imaps://support@mail.example.ch/INBOX", "no password"),
        (f"imaps://support:{SECRET}@/INBOX", "no host name"),
        (f"imaps://support:{SECRET}@mail.example.ch:99999/INBOX", "invalid port"),
        (f"imaps://support:{SECRET}@mail.example.ch:0/INBOX", "invalid port"),
        (f"imaps://support:{SECRET}@mail.example.ch:imap/INBOX", "invalid port"),
        (f"imaps://support:{SECRET}@mail.example.ch/INBOX?move=Filed", "unknown or repeated"),
        (f"imaps://support:{SECRET}@mail.example.ch/?filed=A&filed=B", "unknown or repeated"),
        (f"imaps://support:{SECRET}@mail.example.ch/?starttls=1", "starttls=1 is for imap://"),
        (f"imap://support:{SECRET}@mail.example.ch/?starttls=maybe", "starttls must be 1 or 0"),
        (f"imaps://support:{SECRET}@mail.example.ch/INBOX?filed=INBOX", "must differ"),
        (f"imaps://support:{SECRET}@mail.example.ch/INBOX?filed=%0A", "control characters"),
    ],
)
def test_bad_url_refused_with_a_clear_message(url, says):
    with pytest.raises(ValueError) as error:
        mailbox_config(url)
    assert says in str(error.value)
    assert SECRET not in str(error.value)


@pytest.mark.parametrize(
    "url",
    [
        # Unencoded / ? # : in the password shift the URL's parts around.
        "imaps://support%40q3.ch:Geheim/7Pa55@mail.example.ch/INBOX",
        "imaps://support%40q3.ch:Geheim?7Pa55@mail.example.ch/INBOX",
        "imaps://support%40q3.ch:Geheim#7Pa55@mail.example.ch/INBOX",
        "imaps://support@q3.ch:Geheim:7Pa55@mail.example.ch:abc/INBOX",
        "imaps://support@q3.ch:4711/Geheim-7Pa55@mail.example.ch/INBOX",
        "imap://support:Geheim-7Pa55@mail.example.ch/INBOX",
    ],
)
def test_password_never_in_the_error(url):
    with pytest.raises(ValueError) as error:
        mailbox_config(url)
    assert "Geheim" not in str(error.value)
    assert "7Pa55" not in str(error.value)


def test_password_not_in_repr_or_display():
    config = mailbox_config(f"imaps://support%40q3.ch:{SECRET}@mail.example.ch/INBOX")
    assert SECRET not in repr(config)
    assert config.display == "imaps://support%40q3.ch@mail.example.ch:993/INBOX"


def test_limit_below_one_refused():
    config = mailbox_config(f"imaps://support:{SECRET}@mail.example.ch/INBOX")
    with pytest.raises(ValueError):
        fetch_once(config, FakeFiler(), limit=0)


# --- against the real IMAP server --------------------------------------------------------


@pytest.mark.imap
def test_new_messages_filed_once_and_moved(imap_mailbox):
    raws = [message(n) for n in (1, 2, 3)]
    for raw in raws:
        imap_mailbox.deliver(raw)
    filer = FakeFiler()

    result = fetch_once(imap_mailbox.config, filer)

    assert result == FetchResult(seen=3, filed=3, duplicates=0, failed=0)
    assert filer.raws == raws  # byte for byte, oldest first
    assert imap_mailbox.messages("INBOX") == []
    assert [raw for raw, _flags in imap_mailbox.messages("Filed")] == raws


@pytest.mark.imap
def test_second_run_files_nothing(imap_mailbox):
    imap_mailbox.deliver(message(1))
    filer = FakeFiler()
    fetch_once(imap_mailbox.config, filer)

    assert fetch_once(imap_mailbox.config, filer) == FetchResult(0, 0, 0, 0)
    assert len(filer.calls) == 1


@pytest.mark.imap
def test_same_message_delivered_twice_filed_once_both_moved(imap_mailbox):
    raw = message(1)
    imap_mailbox.deliver(raw)
    imap_mailbox.deliver(raw)
    filer = FakeFiler()

    result = fetch_once(imap_mailbox.config, filer)

    assert result == FetchResult(seen=2, filed=1, duplicates=1, failed=0)
    assert filer.filed == [message_id_of(raw)]
    assert imap_mailbox.messages("INBOX") == []
    assert len(imap_mailbox.messages("Filed")) == 2


@pytest.mark.imap
def test_failed_filing_logged_left_in_place_and_filed_next_run(imap_mailbox, caplog):
    raws = [message(n) for n in (1, 2, 3)]
    for raw in raws:
        imap_mailbox.deliver(raw)
    filer = FakeFiler(fail_for={message_id_of(raws[1])})

    with caplog.at_level(logging.ERROR, logger="cases.mail_fetch"):
        result = fetch_once(imap_mailbox.config, filer)

    assert result == FetchResult(seen=3, filed=2, duplicates=0, failed=1)
    assert [raw for raw, _flags in imap_mailbox.messages("INBOX")] == [raws[1]]
    assert "database is down" in caplog.text
    assert "Filing message UID 2 from imap://t-" in caplog.text
    assert PASSWORD not in caplog.text

    filer.fail_for.clear()
    assert fetch_once(imap_mailbox.config, filer) == FetchResult(1, 1, 0, 0)
    assert sorted(filer.filed) == sorted(message_id_of(raw) for raw in raws)
    assert imap_mailbox.messages("INBOX") == []


@pytest.mark.imap
def test_crash_after_filing_before_moving_gives_a_duplicate_next_run(imap_mailbox, monkeypatch):
    raws = [message(n) for n in (1, 2)]
    for raw in raws:
        imap_mailbox.deliver(raw)
    filer = FakeFiler()

    def connection_lost(*args):
        raise imaplib.IMAP4.abort("socket error: EOF")

    with monkeypatch.context() as patch:
        patch.setattr(mail_fetch, "_move", connection_lost)
        with pytest.raises(MailFetchError) as error:
            fetch_once(imap_mailbox.config, filer)
    assert "filed but could not be marked" in str(error.value)
    assert PASSWORD not in str(error.value)
    assert filer.filed == [message_id_of(raws[0])]
    assert len(imap_mailbox.messages("INBOX")) == 2

    result = fetch_once(imap_mailbox.config, filer)

    assert result == FetchResult(seen=2, filed=1, duplicates=1, failed=0)
    assert filer.filed == [message_id_of(raw) for raw in raws]
    assert imap_mailbox.messages("INBOX") == []
    assert len(imap_mailbox.messages("Filed")) == 2


@pytest.mark.imap
def test_message_not_marked_seen_before_it_is_filed(imap_mailbox):
    imap_mailbox.deliver(message(1))
    flags_while_filing = []

    def filer(raw):
        flags_while_filing.append(imap_mailbox.messages("INBOX")[0][1])
        return True

    fetch_once(imap_mailbox.config_with(filed_folder=None), filer)

    assert flags_while_filing == [set()]
    assert imap_mailbox.messages("INBOX")[0][1] == {"\\Seen", "$Q3Filed"}


@pytest.mark.imap
def test_two_runs_at_once_file_each_message_exactly_once(imap_mailbox):
    raws = [message(n) for n in range(5)]
    for raw in raws:
        imap_mailbox.deliver(raw)
    filer = FakeFiler(delay=0.05)
    start = threading.Barrier(2)
    outcomes = []

    def run():
        start.wait()
        try:
            outcomes.append(fetch_once(imap_mailbox.config, filer))
        except MailboxBusy:
            outcomes.append("busy")

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(filer.calls) == sorted(message_id_of(raw) for raw in raws)  # once each
    assert sum(o.filed for o in outcomes if isinstance(o, FetchResult)) == 5
    assert imap_mailbox.messages("INBOX") == []


@pytest.mark.imap
def test_without_filed_folder_messages_are_flagged_and_skipped_next_time(imap_mailbox):
    config = imap_mailbox.config_with(filed_folder=None)
    unread, read_by_a_person = message(1), message(2)
    imap_mailbox.deliver(unread)
    imap_mailbox.deliver(read_by_a_person, flags="\\Seen")
    filer = FakeFiler()

    assert fetch_once(config, filer) == FetchResult(seen=2, filed=2, duplicates=0, failed=0)

    kept = imap_mailbox.messages("INBOX")
    assert [raw for raw, _flags in kept] == [unread, read_by_a_person]
    assert all(flags == {"\\Seen", "$Q3Filed"} for _raw, flags in kept)
    assert "Filed" not in imap_mailbox.folders()
    assert fetch_once(config, filer) == FetchResult(0, 0, 0, 0)


@pytest.mark.imap
def test_message_a_person_deleted_is_not_filed(imap_mailbox):
    imap_mailbox.deliver(message(1), flags="\\Deleted")
    filer = FakeFiler()

    assert fetch_once(imap_mailbox.config, filer) == FetchResult(0, 0, 0, 0)
    assert len(imap_mailbox.messages("INBOX")) == 1


@pytest.mark.imap
@pytest.mark.parametrize("missing", [{"MOVE"}, {"MOVE", "UIDPLUS"}])
def test_server_without_move_gets_copy_delete_expunge(imap_mailbox, monkeypatch, missing):
    real = mail_fetch._capabilities
    monkeypatch.setattr(mail_fetch, "_capabilities", lambda imap: real(imap) - missing)
    raws = [message(1), message(2)]
    for raw in raws:
        imap_mailbox.deliver(raw)
    filer = FakeFiler()

    assert fetch_once(imap_mailbox.config, filer) == FetchResult(2, 2, 0, 0)
    assert imap_mailbox.messages("INBOX") == []
    assert [raw for raw, _flags in imap_mailbox.messages("Filed")] == raws


@pytest.mark.imap
def test_copy_fallback_with_uidplus_leaves_other_deleted_messages(imap_mailbox, monkeypatch):
    real = mail_fetch._capabilities
    monkeypatch.setattr(mail_fetch, "_capabilities", lambda imap: real(imap) - {"MOVE"})
    imap_mailbox.deliver(message(1), flags="\\Deleted")  # a person's, not yet expunged
    imap_mailbox.deliver(message(2))

    assert fetch_once(imap_mailbox.config, FakeFiler()) == FetchResult(1, 1, 0, 0)
    assert [flags for _raw, flags in imap_mailbox.messages("INBOX")] == [{"\\Deleted"}]


@pytest.mark.imap
def test_missing_filed_folder_created_with_its_non_ascii_name(imap_mailbox):
    imap_mailbox.deliver(message(1))

    fetch_once(imap_mailbox.config_with(filed_folder="Traité"), FakeFiler())

    assert "Trait&AOk-" in imap_mailbox.folders()  # what a mail client shows as "Traité"
    assert len(imap_mailbox.messages("Traité")) == 1


@pytest.mark.imap
def test_limit_takes_the_oldest_first_and_leaves_the_rest(imap_mailbox):
    raws = [message(n) for n in (1, 2, 3)]
    for raw in raws:
        imap_mailbox.deliver(raw)
    filer = FakeFiler()

    assert fetch_once(imap_mailbox.config, filer, limit=2) == FetchResult(2, 2, 0, 0)
    assert filer.raws == raws[:2]
    assert fetch_once(imap_mailbox.config, filer, limit=2) == FetchResult(1, 1, 0, 0)


@pytest.mark.imap
def test_missing_folder_is_a_clear_error(imap_mailbox):
    with pytest.raises(MailFetchError) as error:
        fetch_once(imap_mailbox.config_with(folder="Nowhere"), FakeFiler())
    assert "select folder Nowhere failed" in str(error.value)


@pytest.mark.imap
def test_wrong_password_refused_without_showing_it(imap_mailbox):
    config = imap_mailbox.config_with(password=SECRET)
    with pytest.raises(MailFetchError) as error:
        fetch_once(config, FakeFiler())
    assert "login failed" in str(error.value)
    assert SECRET not in str(error.value)


def test_unreachable_server_is_a_clear_error():
    config = mailbox_config(f"imap://support:{SECRET}@127.0.0.1:1/INBOX")
    with pytest.raises(MailFetchError) as error:
        fetch_once(config, FakeFiler())
    assert "cannot connect" in str(error.value)
    assert SECRET not in str(error.value)


@pytest.mark.imap
def test_non_ascii_password_logs_in():
    config = MailboxConfig(
        host=HOST, port=TLS_PORT, username=UMLAUT_USER, password=UMLAUT_PASSWORD, folder="INBOX"
    )
    context = ssl.create_default_context(cafile=CERTIFICATE)
    with pytest.raises(MailFetchError, match="login failed"):
        fetch_once(
            dataclasses.replace(config, password="Grüezi-falsch"),
            FakeFiler(),
            ssl_context=context,
        )
    # The right password logs in (the mailbox is shared, so what it holds is not checked).
    assert isinstance(fetch_once(config, lambda raw: False, ssl_context=context), FetchResult)


@pytest.mark.imap
@pytest.mark.parametrize(
    "url",
    [
        "imaps://{user}:{password}@127.0.0.1:10993/INBOX?filed=Filed",
        "imap://{user}:{password}@127.0.0.1:10143/INBOX?filed=Filed&starttls=1",
    ],
)
def test_tls_and_starttls_verify_the_server_certificate(imap_mailbox, url):
    config = mailbox_config(url.format(user=imap_mailbox.username, password=PASSWORD))
    imap_mailbox.deliver(message(1))

    with pytest.raises(MailFetchError, match="CERTIFICATE_VERIFY_FAILED"):
        fetch_once(config, FakeFiler())  # the system's CAs do not know the test certificate
    context = ssl.create_default_context(cafile=CERTIFICATE)
    assert fetch_once(config, FakeFiler(), ssl_context=context) == FetchResult(1, 1, 0, 0)


# --- the command -------------------------------------------------------------------------


def test_command_without_url_says_what_to_set(settings):
    settings.INBOUND_MAIL_URL = ""
    with pytest.raises(CommandError, match="INBOUND_MAIL_URL is not set"):
        call_command("mail_fetch")


def test_command_with_bad_url_does_not_show_the_password(settings):
    settings.INBOUND_MAIL_URL = f"imap://support:{SECRET}@mail.example.ch/INBOX"
    with pytest.raises(CommandError) as error:
        call_command("mail_fetch")
    assert "only allowed to localhost" in str(error.value)
    assert SECRET not in str(error.value)


@pytest.fixture
def fake_mail_file(monkeypatch):
    filer = FakeFiler()
    monkeypatch.setattr(
        cases.inbound, "mail_file", lambda *, raw: SimpleNamespace(created=filer(raw))
    )
    return filer


@pytest.mark.imap
def test_command_files_through_mail_file_and_reports(imap_mailbox, settings, fake_mail_file):
    settings.INBOUND_MAIL_URL = imap_mailbox.url
    raw = message(1)
    imap_mailbox.deliver(raw)
    imap_mailbox.deliver(raw)
    imap_mailbox.deliver(message(2))
    out = io.StringIO()

    call_command("mail_fetch", "--once", stdout=out)

    assert out.getvalue() == "fetched 3, filed 2, duplicates 1, failed 0\n"
    assert imap_mailbox.messages("INBOX") == []


@pytest.mark.imap
def test_command_exits_quietly_while_another_run_holds_the_mailbox(
    imap_mailbox, settings, fake_mail_file, capsys
):
    settings.INBOUND_MAIL_URL = imap_mailbox.url
    imap_mailbox.deliver(message(1))

    with mailbox_lock(mailbox_config(imap_mailbox.url)):
        call_command("mail_fetch")

    assert capsys.readouterr().out == ""
    assert fake_mail_file.calls == []
    assert len(imap_mailbox.messages("INBOX")) == 1


@pytest.mark.django_db  # the loop tidies the database connections between runs
@pytest.mark.imap
def test_command_loop_runs_until_interrupted(imap_mailbox, settings, fake_mail_file, monkeypatch):
    from cases.management.commands import mail_fetch as command

    settings.INBOUND_MAIL_URL = imap_mailbox.url
    imap_mailbox.deliver(message(1))
    pauses = []

    def sleep(seconds):
        pauses.append(seconds)
        if len(pauses) == 1:
            imap_mailbox.deliver(message(2))  # arrives during the pause
        else:
            raise KeyboardInterrupt

    monkeypatch.setattr(command, "time", SimpleNamespace(sleep=sleep))
    out = io.StringIO()

    call_command("mail_fetch", "--loop", "30", stdout=out)

    assert pauses == [30, 30]
    assert len(fake_mail_file.filed) == 2
    assert out.getvalue().splitlines() == ["fetched 1, filed 1, duplicates 0, failed 0"] * 2


@pytest.mark.django_db  # the loop tidies the database connections between runs
def test_command_loop_survives_an_unreachable_server(settings, monkeypatch, caplog):
    from cases.management.commands import mail_fetch as command

    settings.INBOUND_MAIL_URL = f"imap://support:{SECRET}@127.0.0.1:1/INBOX"
    pauses = []

    def sleep(seconds):
        pauses.append(seconds)
        if len(pauses) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(command, "time", SimpleNamespace(sleep=sleep))

    with caplog.at_level(logging.ERROR):
        call_command("mail_fetch", "--loop", "5")

    assert pauses == [5, 5]  # it tried again after the failure
    assert caplog.text.count("cannot connect") == 2
    assert SECRET not in caplog.text
