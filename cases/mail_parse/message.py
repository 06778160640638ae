"""The public parse function: raw bytes to a :class:`ParsedMessage`, or
:class:`UnreadableMessage`; whether the message is automatic mail (never answered
automatically) or a bounce."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser

from ._common import MAX_REFERENCES, MAX_SUBJECT, _content_type, _fold, _header, _ids, _param
from .attachments import Attachment
from .headers import _address_list, _addresses, _date
from .parts import _body, _Reader
from .replies import case_reference_in

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ParsedMessage:
    """What the desk needs of a message. Ids are "<...>" (printable ASCII, at most 255
    characters; a message without one gets :func:`synthetic_message_id`); addresses are
    lower-case addr-specs; ``date`` is aware (Europe/Zurich); ``text`` is the plain text or
    the text of the HTML, with a forwarded message's text after :data:`FORWARDED`; ``html``
    is sanitised (:func:`sanitise_html`) or ""; ``automatic`` means never answer it
    automatically; ``case_references`` are the n of "[C-n]" in the subject."""

    message_id: str
    in_reply_to: list[str]
    references: list[str]
    subject: str
    from_address: str
    from_name: str
    to: list[str]
    date: datetime | None
    text: str
    html: str
    attachments: list[Attachment]
    automatic: bool
    bounce: bool
    case_references: list[int]
    cc: list[str] = field(default_factory=list)
    reply_to: str = ""  # where the sender wants answers, when not the From address
    bounced_recipients: list[str] = field(default_factory=list)  # of a bounce: failed ones
    bounced_message_id: str = ""  # of a bounce: the returned message (one of ours, usually)
    truncated: bool = False  # parts or text beyond the limits were left in the raw message


class UnreadableMessage(Exception):
    """The bytes are not an e-mail message we can read: keep them raw."""


def _has(msg: Message, name: str) -> bool:
    try:
        return any(key.lower() == name for key in msg)
    except Exception:
        return False


# --- automatic mail ---------------------------------------------------------------------------

_DAEMON = re.compile(r"mailer-daemon|postmaster|mail-daemon")
_NOREPLY = re.compile(r"(?:no|do[-_.]?not)[-_.]?reply|^bounces?(?:[-+.=].*)?$")
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery (?:status|failure|failed|has failed)|returned mail"
    r"|failure notice|unzustellbar|nicht zustellbar|non remis|non distribu",
    re.IGNORECASE,
)


def _local_part(address: str) -> str:
    return address.rsplit("@", 1)[0]


def _automatic(msg: Message, from_address: str, report: bool) -> bool:
    """Mail that must never get an automatic answer (RFC 3834 and what real systems send)."""
    auto_submitted = _header(msg, "Auto-Submitted").split(";")[0].strip().lower()
    precedence = _header(msg, "Precedence").strip().lower()
    local = _local_part(from_address) if from_address else _header(msg, "From").lower()
    return (
        report
        or (auto_submitted not in ("", "no"))
        or precedence in ("bulk", "list", "junk", "auto_reply")
        or any(_has(msg, name) for name in ("list-id", "list-unsubscribe"))
        or any(_has(msg, name) for name in ("x-autoreply", "x-autorespond", "x-autoresponder"))
        or _header(msg, "Return-Path").strip() == "<>"  # the null sender of notifications
        or bool(_DAEMON.search(local) or _NOREPLY.search(local))
    )


# --- the message ------------------------------------------------------------------------------

_KNOWN_HEADERS = {
    "from", "sender", "reply-to", "to", "cc", "subject", "date", "message-id", "in-reply-to",
    "references", "received", "return-path", "mime-version", "content-type", "delivered-to",
}  # fmt: skip


def synthetic_message_id(raw: bytes) -> str:
    """The id of a message without one: the same bytes, the same id (filed once)."""
    return f"<{hashlib.sha256(raw).hexdigest()}@q3helpdesk.invalid>"


def parse_message(raw: bytes) -> ParsedMessage:
    """Read one raw RFC 5322 message; :class:`UnreadableMessage` when it is none."""
    if isinstance(raw, bytearray | memoryview):
        raw = bytes(raw)
    if not isinstance(raw, bytes) or not raw.strip():
        raise UnreadableMessage("no message: empty, or not bytes")
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw.removeprefix(b"\xef\xbb\xbf"))
        names = {str(name).strip().lower() for name in msg}
    except Exception as exc:  # e.g. RecursionError on absurd nesting
        raise UnreadableMessage(f"the e-mail parser gave up: {type(exc).__name__}") from exc
    if not names & _KNOWN_HEADERS:
        raise UnreadableMessage("no e-mail headers")
    try:
        return _read(msg, raw)
    except Exception as exc:
        # A bug here must not lose the message: the caller keeps it raw, the log says why.
        logger.exception("Could not read a message of %s bytes", len(raw))
        raise UnreadableMessage(f"the message could not be read: {type(exc).__name__}") from exc


def _read(msg: EmailMessage, raw: bytes) -> ParsedMessage:
    own_ids = _ids(msg, "Message-ID")
    message_id = own_ids[0] if own_ids else synthetic_message_id(raw)
    in_reply_to = [i for i in _ids(msg, "In-Reply-To") if i != message_id][:MAX_REFERENCES]
    references = [i for i in _ids(msg, "References") if i != message_id]
    if len(references) > MAX_REFERENCES:  # keep the thread's root and the latest ones
        references = references[:1] + references[-(MAX_REFERENCES - 1) :]
    subject = _fold(_header(msg, "Subject"))[:MAX_SUBJECT]
    senders = _addresses(msg, "From") or _addresses(msg, "Sender")
    from_name, from_address = senders[0] if senders else ("", "")
    reply_to = _addresses(msg, "Reply-To")

    reader = _Reader()
    reader.walk(msg)
    text, html = _body(reader)
    report = _content_type(msg) == "multipart/report"
    report_type = _param(msg, "report-type") if report else ""
    daemon = bool(_DAEMON.search(_local_part(from_address))) if from_address else False
    bounce = report_type == "delivery-status" or (daemon and bool(_BOUNCE_SUBJECT.search(subject)))
    return ParsedMessage(
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        subject=subject,
        from_address=from_address,
        from_name=from_name,
        to=_address_list(msg, "To"),
        date=_date(msg),
        text=text,
        html=html,
        attachments=reader.attachments,
        automatic=bounce or _automatic(msg, from_address, report or reader.report),
        bounce=bounce,
        case_references=case_reference_in(subject),
        cc=_address_list(msg, "Cc"),
        reply_to=reply_to[0][1] if reply_to else "",
        bounced_recipients=list(dict.fromkeys(reader.bounced_recipients)),
        bounced_message_id=reader.bounced_ids[0] if reader.bounced_ids else "",
        truncated=reader.budget.truncated,
    )
