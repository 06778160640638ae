"""Fetching support e-mail from the IMAP mailbox, each message filed exactly once.

How a message is filed is not decided here: ``fetch_once`` hands each raw message to a
callable (in production ``cases.inbound.mail_file``) that answers True when it filed the
message and False when it had filed it before (the filing side is idempotent: one row per
Message-ID). Exactly once then follows from the order of the steps:

1. fetch the message with ``BODY.PEEK[]`` (nothing changes on the server),
2. file it,
3. mark it filed on the server: move it to the ``filed`` folder, or, without one, set
   ``\\Seen`` and the keyword ``$Q3Filed``.

A crash between 2 and 3 leaves the message unmarked; the next run files it again, which
the filing side reports as a duplicate, and marks it. A message whose filing raises is
logged and left in place for the next run. Two runs at the same time would both file the
same messages, so a run holds an exclusive lock on the mailbox (see ``mailbox_lock``).

The mailbox is one URL, ``INBOUND_MAIL_URL``::

    imaps://support%40q3software.ch:secret@mail.example.ch:993/INBOX?filed=Filed
    imap://support%40q3software.ch:secret@mail.example.ch/INBOX?starttls=1
    imap://support%40q3.test:q3-imap-test@127.0.0.1:10143/INBOX   (no TLS: localhost only)

The password never appears in an error message, a log line or a ``repr``.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import imaplib
import ipaddress
import logging
import os
import ssl
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlsplit

logger = logging.getLogger(__name__)

FILED_KEYWORD = "$Q3Filed"
TIMEOUT_SECONDS = 60

_TLS_MODES = {"imaps": "tls", "imap": "plain"}
_DEFAULT_PORTS = {"tls": 993, "starttls": 143, "plain": 143}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_URL_HINT = (
    "Expected e.g. imaps://support%40q3software.ch:PASSWORD@mail.example.ch:993/INBOX?filed=Filed; "
    "percent-encode @ / ? # : % in the user name and password (@ is %40)."
)


@dataclass(frozen=True)
class MailboxConfig:
    """Where the support mail is fetched from; see the module docstring for the URL."""

    host: str
    port: int
    username: str
    password: str = field(repr=False)
    security: str = "tls"  # "tls" (imaps://), "starttls" (imap://…?starttls=1), "plain"
    folder: str = "INBOX"
    filed_folder: str | None = None  # None: mark with \Seen + $Q3Filed instead of moving

    @property
    def display(self) -> str:
        """The mailbox for messages and logs, without the password."""
        scheme = "imaps" if self.security == "tls" else "imap"
        text = f"{scheme}://{quote(self.username, safe='')}@{self.host}:{self.port}/{self.folder}"
        if self.security == "starttls":
            text += "?starttls=1"
        return text


@dataclass
class FetchResult:
    seen: int = 0
    filed: int = 0
    duplicates: int = 0
    failed: int = 0


class MailFetchError(Exception):
    """The mailbox could not be read or a message could not be marked (no password inside)."""


class MailboxBusy(Exception):
    """Another run holds the mailbox; this one does nothing."""


def mailbox_config(url: str) -> MailboxConfig:
    """Parse ``INBOUND_MAIL_URL``; ValueError with a message that never quotes the URL.

    Nothing from the URL but the host is echoed in an error: a password with an unencoded
    ``/``, ``?`` or ``#`` shifts the parts, so the "host" or "folder" may be password text
    before the checks run — they run in the order that catches that first (user name and
    password are required).
    """
    if not isinstance(url, str) or not url.strip():
        raise ValueError("INBOUND_MAIL_URL is empty. " + _URL_HINT)
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        netloc = parts.netloc
    except ValueError:
        raise ValueError("INBOUND_MAIL_URL is not a valid URL. " + _URL_HINT) from None
    if scheme not in _TLS_MODES:
        raise ValueError("INBOUND_MAIL_URL must start with imaps:// or imap://. " + _URL_HINT)
    if "@" not in netloc or not parts.username:
        raise ValueError("INBOUND_MAIL_URL has no user name. " + _URL_HINT)
    if parts.password is None or parts.password == "":
        raise ValueError("INBOUND_MAIL_URL has no password. " + _URL_HINT)
    if parts.fragment:
        raise ValueError("INBOUND_MAIL_URL must not contain '#'. " + _URL_HINT)
    host = parts.hostname
    if not host:
        raise ValueError("INBOUND_MAIL_URL has no host name. " + _URL_HINT)
    try:
        port = parts.port
    except ValueError:
        raise ValueError(
            "INBOUND_MAIL_URL has an invalid port (a number from 1 to 65535). " + _URL_HINT
        ) from None
    if port == 0:
        raise ValueError("INBOUND_MAIL_URL has an invalid port (a number from 1 to 65535).")

    try:
        params = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise ValueError("INBOUND_MAIL_URL has an invalid query string. " + _URL_HINT) from None
    options: dict[str, str] = {}
    for key, value in params:
        if key not in {"filed", "starttls"} or key in options:
            raise ValueError(
                "INBOUND_MAIL_URL: unknown or repeated parameter; the parameters are "
                "filed=FOLDER and starttls=1."
            )
        options[key] = value

    security = _TLS_MODES[scheme]
    starttls = options.get("starttls", "0").lower()
    if starttls not in _TRUE | _FALSE:
        raise ValueError("INBOUND_MAIL_URL: starttls must be 1 or 0.")
    if starttls in _TRUE:
        if security == "tls":
            raise ValueError(
                "INBOUND_MAIL_URL: starttls=1 is for imap://; imaps:// is TLS from the start."
            )
        security = "starttls"
    if security == "plain" and not _is_loopback(host):
        raise ValueError(
            f"INBOUND_MAIL_URL: imap:// without TLS is only allowed to localhost, not to {host}, "
            "because the password would cross the network in clear text. Use imaps:// "
            "(port 993) or imap://…?starttls=1."
        )

    folder = _folder(unquote(parts.path.lstrip("/")) or "INBOX", "folder")
    filed = options.get("filed", "")
    filed_folder = _folder(filed, "filed folder") if filed else None
    if filed_folder is not None and filed_folder == folder:
        raise ValueError("INBOUND_MAIL_URL: the filed folder must differ from the folder read.")
    return MailboxConfig(
        host=host,
        port=port or _DEFAULT_PORTS[security],
        username=unquote(parts.username),
        password=unquote(parts.password),
        security=security,
        folder=folder,
        filed_folder=filed_folder,
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _folder(name: str, what: str) -> str:
    name = name.strip("/")
    if not name or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name):
        raise ValueError(f"INBOUND_MAIL_URL: the {what} name is empty or has control characters.")
    return name


def fetch_once(
    config: MailboxConfig,
    file_message: Callable[[bytes], bool],
    *,
    limit: int = 200,
    ssl_context: ssl.SSLContext | None = None,
) -> FetchResult:
    """File up to ``limit`` messages not yet filed, oldest first; see the module docstring.

    ``file_message(raw)`` returns True when it filed the message, False for a duplicate;
    when it raises, the error is logged, counted as failed and the message stays for the
    next run. Raises MailboxBusy when another run holds the mailbox, MailFetchError when
    the server cannot be reached, refuses the login or a message cannot be marked filed
    (the run stops there; what was filed stays filed).
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    with mailbox_lock(config):
        try:
            result = _fetch_locked(config, file_message, limit, ssl_context)
        except MailFetchError as exc:
            # Whoever runs the fetch (a timer, the loop) may only print it: the log keeps it.
            logger.error("Mail fetch failed: %s", exc)
            raise
    if result.seen or result.failed:
        logger.info(
            "Fetched %s messages from %s: filed %s, duplicates %s, failed %s",
            result.seen,
            config.display,
            result.filed,
            result.duplicates,
            result.failed,
        )
    else:
        logger.debug("Fetched nothing from %s", config.display)
    return result


def _fetch_locked(
    config: MailboxConfig,
    file_message: Callable[[bytes], bool],
    limit: int,
    ssl_context: ssl.SSLContext | None,
) -> FetchResult:
    imap = _connect(config, ssl_context)
    try:
        return _fetch(imap, config, file_message, limit)
    except (OSError, imaplib.IMAP4.error, MailFetchError) as exc:
        raise MailFetchError(f"{config.display}: {exc}") from exc
    finally:
        with suppress(OSError, imaplib.IMAP4.error):
            imap.logout()


@contextmanager
def mailbox_lock(config: MailboxConfig) -> Iterator[None]:
    """Hold an exclusive lock on the mailbox for one run, or raise MailboxBusy at once.

    A file lock (``fcntl.flock`` on a file in the temporary directory, named after host,
    port, user and folder): it serialises runs on one machine whatever the database, and
    the kernel releases it when a run dies. A PostgreSQL advisory lock does not fit:
    ``q3helpdesk.locks.advisory_lock`` lasts a transaction, and one transaction around the
    whole run would hold back every filing (and the mail it sends) until the run ends —
    and lose them on a crash after the messages were already moved. Runs on several
    machines against one mailbox are not serialised (run the fetcher on one host).
    """
    fd = os.open(lock_path(config), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise MailboxBusy(f"{config.display} is being fetched by another run") from None
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def lock_path(config: MailboxConfig) -> Path:
    """The lock file of a mailbox (the same for every process on this machine)."""
    key = f"{config.host}:{config.port}:{config.username}:{config.folder}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"q3helpdesk-mail-fetch-{digest}.lock"


def _connect(config: MailboxConfig, ssl_context: ssl.SSLContext | None) -> imaplib.IMAP4:
    if config.security != "plain" and ssl_context is None:
        ssl_context = ssl.create_default_context()
    try:
        imap: imaplib.IMAP4
        if config.security == "tls":
            imap = imaplib.IMAP4_SSL(
                config.host, config.port, ssl_context=ssl_context, timeout=TIMEOUT_SECONDS
            )
        else:
            imap = imaplib.IMAP4(config.host, config.port, timeout=TIMEOUT_SECONDS)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailFetchError(f"{config.display}: cannot connect: {exc}") from exc
    try:
        if config.security == "starttls":
            imap.starttls(ssl_context)
        _login(imap, config)
    except (OSError, imaplib.IMAP4.error) as exc:
        with suppress(OSError):
            imap.shutdown()
        raise MailFetchError(f"{config.display}: login failed: {exc}") from exc
    return imap


def _login(imap: imaplib.IMAP4, config: MailboxConfig) -> None:
    # LOGIN sends its arguments as ASCII; a non-ASCII user name or password goes through
    # AUTHENTICATE PLAIN, whose base64 carries UTF-8.
    if (config.username + config.password).isascii():
        imap.login(config.username, config.password)
    else:
        credentials = f"\0{config.username}\0{config.password}".encode()
        imap.authenticate("PLAIN", lambda _challenge: credentials)


def _fetch(
    imap: imaplib.IMAP4,
    config: MailboxConfig,
    file_message: Callable[[bytes], bool],
    limit: int,
) -> FetchResult:
    caps = _capabilities(imap)
    if config.filed_folder is not None:
        _ensure_folder(imap, config.filed_folder)
    typ, data = imap.select(_quoted(config.folder))
    _check(typ, data, f"select folder {config.folder}")
    if config.filed_folder is None:
        _check_keywords_allowed(imap)
        criteria = ["UNDELETED", "NOT", "KEYWORD", FILED_KEYWORD]
    else:
        criteria = ["UNDELETED"]
    typ, data = imap.uid("SEARCH", *criteria)
    _check(typ, data, "search")
    uids = [int(uid) for uid in b" ".join(d for d in data if d).split()]
    uids.sort()

    result = FetchResult()
    for uid in uids[:limit]:
        raw = _fetch_raw(imap, uid)
        if raw is None:  # gone since the search (moved or expunged by someone else)
            continue
        result.seen += 1
        try:
            newly_filed = file_message(raw)
        except Exception:
            logger.exception(
                "Filing message UID %s from %s failed; kept for the next run", uid, config.display
            )
            result.failed += 1
            continue
        if newly_filed:
            result.filed += 1
        else:
            result.duplicates += 1
        try:
            _mark_filed(imap, uid, config, caps)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailFetchError(
                f"message UID {uid} was filed but could not be marked "
                f"(the next run marks it as a duplicate): {exc}"
            ) from exc
    return result


def _fetch_raw(imap: imaplib.IMAP4, uid: int) -> bytes | None:
    typ, data = imap.uid("FETCH", str(uid), "(BODY.PEEK[])")
    _check(typ, data, f"fetch message UID {uid}")
    for item in data:
        if isinstance(item, tuple) and b"BODY[]" in item[0].upper():
            return item[1]
    return None


def _mark_filed(imap: imaplib.IMAP4, uid: int, config: MailboxConfig, caps: set[str]) -> None:
    if config.filed_folder is None:
        _flag(imap, uid)
    else:
        _move(imap, uid, config.filed_folder, caps)


def _flag(imap: imaplib.IMAP4, uid: int) -> None:
    typ, data = imap.uid("STORE", str(uid), "+FLAGS.SILENT", f"(\\Seen {FILED_KEYWORD})")
    _check(typ, data, f"flag message UID {uid} as filed")


def _move(imap: imaplib.IMAP4, uid: int, folder: str, caps: set[str]) -> None:
    if "MOVE" in caps:
        typ, data = imap.uid("MOVE", str(uid), _quoted(folder))
        _check(typ, data, f"move message UID {uid} to {folder}")
        return
    # RFC 6851's fallback. A crash after the COPY leaves the message in both folders; the
    # next run then files a duplicate and copies it once more — still filed once.
    typ, data = imap.uid("COPY", str(uid), _quoted(folder))
    _check(typ, data, f"copy message UID {uid} to {folder}")
    typ, data = imap.uid("STORE", str(uid), "+FLAGS.SILENT", "(\\Deleted)")
    _check(typ, data, f"mark message UID {uid} deleted")
    if "UIDPLUS" in caps:  # expunge only this message, not others a person marked deleted
        typ, data = imap.uid("EXPUNGE", str(uid))
    else:
        typ, data = imap.expunge()
    _check(typ, data, f"expunge message UID {uid}")


def _capabilities(imap: imaplib.IMAP4) -> set[str]:
    # Asked again after the login: servers announce MOVE, UIDPLUS … only to logged-in users.
    typ, data = imap.capability()
    _check(typ, data, "capability")
    return {cap.upper() for line in data if line for cap in line.decode().split()}


def _ensure_folder(imap: imaplib.IMAP4, folder: str) -> None:
    typ, data = imap.list('""', _quoted(folder))
    _check(typ, data, f"list folder {folder}")
    if any(data):
        return
    typ, data = imap.create(_quoted(folder))
    _check(typ, data, f"create folder {folder}")
    imap.subscribe(_quoted(folder))  # so that mail clients show it; failure is harmless


def _check_keywords_allowed(imap: imaplib.IMAP4) -> None:
    _typ, data = imap.response("PERMANENTFLAGS")
    flags = b" ".join(d for d in data if d).decode(errors="replace")
    if "\\*" not in flags and FILED_KEYWORD not in flags:
        raise MailFetchError(
            f"the server does not keep the keyword {FILED_KEYWORD}; set a filed folder "
            "(INBOUND_MAIL_URL …?filed=Filed) so that filed messages are moved instead"
        )


def _check(typ: str, data: list, what: str) -> None:
    if typ != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode(errors="replace")
        raise MailFetchError(f"{what} failed: {typ} {detail}".rstrip())


def _quoted(name: str) -> str:
    """A folder name as an IMAP quoted string, in modified UTF-7 (RFC 3501 5.1.3)."""
    encoded = _utf7_imap(name)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _utf7_imap(name: str) -> str:
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            b64 = base64.b64encode("".join(pending).encode("utf-16-be")).decode()
            out.append("&" + b64.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return "".join(out)
