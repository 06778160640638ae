"""The real IMAP server of the tests (``scripts/imap-test-server.sh``: Dovecot on localhost).

Tests that use it are marked ``@pytest.mark.imap``; ``tests/conftest.py`` deselects them
when the server does not answer. The server takes any user name with the password
``q3-imap-test``, so each test gets a mailbox of its own (a fresh user) and test runs at
the same time never see each other's messages.
"""

import imaplib
import re
import socket
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote

import pytest

from cases.mail_fetch import MailboxConfig, _quoted, lock_path

HOST = "127.0.0.1"
PORT = 10143
TLS_PORT = 10993
PASSWORD = "q3-imap-test"
# Self-signed for localhost and 127.0.0.1 by the script (which runs as root).
CERTIFICATE = Path("/var/tmp/q3-imap/tls/cert.pem")  # noqa: S108
UMLAUT_USER, UMLAUT_PASSWORD = "umlaut@q3.test", "Grüezi-mitenand"

_LIST_LINE = re.compile(rb'^\((?P<flags>[^)]*)\) (?:NIL|"(?:[^"\\]|\\.)*") (?P<name>.+)$')


def imap_server_reachable(timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((HOST, PORT), timeout=timeout):
            return True
    except OSError:
        return False


@dataclass
class ImapTestMailbox:
    """One test user's mailbox: deliver messages into it and look at what is where."""

    username: str

    @property
    def config(self) -> MailboxConfig:
        """Plain IMAP on localhost, reading INBOX, moving what is filed to "Filed"."""
        return MailboxConfig(
            host=HOST,
            port=PORT,
            username=self.username,
            password=PASSWORD,
            security="plain",
            folder="INBOX",
            filed_folder="Filed",
        )

    def config_with(self, **changes) -> MailboxConfig:
        return replace(self.config, **changes)

    @property
    def url(self) -> str:
        """The same mailbox as ``INBOUND_MAIL_URL``."""
        return f"imap://{quote(self.username, safe='')}:{PASSWORD}@{HOST}:{PORT}/INBOX?filed=Filed"

    def connect(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4(HOST, PORT, timeout=10)
        imap.login(self.username, PASSWORD)
        return imap

    def deliver(self, raw: bytes, *, folder: str = "INBOX", flags: str = "") -> None:
        """APPEND a message, as the MTA would have delivered it."""
        imap = self.connect()
        try:
            typ, data = imap.append(_quoted(folder), f"({flags})" if flags else None, None, raw)
            assert typ == "OK", data
        finally:
            imap.logout()

    def messages(self, folder: str = "INBOX") -> list[tuple[bytes, set[str]]]:
        """Raw bytes and flags of each message in ``folder``, oldest first ([] if no folder)."""
        imap = self.connect()
        try:
            typ, _data = imap.select(_quoted(folder), readonly=True)
            if typ != "OK":
                return []
            typ, data = imap.uid("SEARCH", "ALL")
            uids = b" ".join(d for d in data if d).split()
            found = []
            for uid in uids:
                typ, data = imap.uid("FETCH", uid, "(FLAGS BODY.PEEK[])")
                head, raw = next(d for d in data if isinstance(d, tuple))
                flags = re.search(rb"FLAGS \(([^)]*)\)", head)
                found.append((raw, set(flags.group(1).decode().split())))
            return found
        finally:
            imap.logout()

    def folders(self) -> list[str]:
        """Folder names as the server stores them (modified UTF-7)."""
        imap = self.connect()
        try:
            _typ, data = imap.list('""', "*")
            names = []
            for line in data:
                match = _LIST_LINE.match(line or b"")
                if match:
                    names.append(match["name"].decode().strip('"'))
            return names
        finally:
            imap.logout()

    def empty(self) -> None:
        """Remove every folder but INBOX and every message in INBOX."""
        imap = self.connect()
        try:
            for name in sorted(self.folders(), key=len, reverse=True):
                if name != "INBOX":
                    imap.delete(f'"{name}"')
            _typ, data = imap.select("INBOX")
            if int(data[0]):
                imap.store("1:*", "+FLAGS.SILENT", "(\\Deleted)")
                imap.expunge()
        finally:
            imap.logout()


@pytest.fixture
def imap_mailbox() -> ImapTestMailbox:
    """An empty mailbox of its own on the test IMAP server, emptied again afterwards."""
    mailbox = ImapTestMailbox(f"t-{uuid.uuid4().hex[:16]}@q3.test")
    mailbox.empty()
    yield mailbox
    mailbox.empty()
    lock_path(mailbox.config).unlink(missing_ok=True)
