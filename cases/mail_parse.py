"""Reading incoming support e-mail (R15): raw RFC 5322 bytes to a small typed value.

Pure: no ORM, no settings. The filing service (``cases.inbound``) decides what becomes of a
message; this module only reads it, with Python's ``email`` package and its modern policy,
and never trusts it: any header may be broken, any charset wrong, any HTML hostile. A
message that cannot be read at all raises :class:`UnreadableMessage` (the caller keeps it
raw); nothing else ever escapes :func:`parse_message`.
"""

from __future__ import annotations

import copy
import hashlib
import html as html_lib
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import nh3
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

ZURICH = ZoneInfo("Europe/Zurich")
MAX_PARTS = 200  # MIME parts read; the rest stays in the raw message
MAX_NESTING = 20  # multipart inside multipart
MAX_REFERENCES = 100
MAX_ID_LENGTH = 255  # the Message-ID columns; a longer id is no id
MAX_SUBJECT = 998  # one header line
MAX_TEXT = 1_000_000  # characters of text and of HTML kept in the parsed value
MAX_FILENAME = 100
FORWARDED = "---- Forwarded message ----"  # stored text: the same whatever the language


@dataclass(frozen=True)
class Attachment:
    filename: str  # safe file name (no path parts, no control chars), "attachment.<ext>" if none
    content_type: str
    data: bytes
    content_id: str = ""  # without the angle brackets; inline images are referred to by it
    inline: bool = False  # shown in the body by the sender's client (logos, screenshots)

    @property
    def size(self) -> int:
        return len(self.data)


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


# --- text hygiene -----------------------------------------------------------------------------

_SURROGATES = re.compile("[\ud800-\udfff]")
# Control characters (line breaks and tabs aside) and the bidi overrides that let a
# "invoice‮fdp.exe" pass for a PDF.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_WHITESPACE = re.compile(r"\s+")
_LATIN1 = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii"}


def _decode(data: bytes, charset: str | None = None) -> str:
    """Bytes to text in the declared charset; an unknown or lying charset falls back to
    UTF-8, then Windows-1252 (what Swiss clients send when they say nothing)."""
    charset = (charset or "").strip().lower()
    declared = charset and charset not in _LATIN1
    if declared:
        try:
            return data.decode(charset)
        except Exception:  # noqa: S110  -- LookupError, wrong bytes, a codec for bytes only
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if declared and charset.replace("_", "-") not in ("utf-8", "utf8"):
        try:
            return data.decode(charset, errors="replace")
        except Exception:  # noqa: S110
            pass
    # Latin-1 as the web reads it: Windows-1252 is a superset for printable text.
    return data.decode("cp1252", errors="replace")


def _clean(text: str) -> str:
    """Text safe to store and show: raw 8-bit bytes the parser kept as surrogates decoded,
    control characters removed, line breaks as ``\\n``, composed (NFC) umlauts."""
    if _SURROGATES.search(text):
        try:
            text = _decode(text.encode("utf-8", "surrogateescape"))
        except UnicodeEncodeError:
            text = _SURROGATES.sub("\ufffd", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # The line and paragraph separators are line breaks too (q3helpdesk.guards refuses
    # them in what the desk types; what arrives is cleaned instead).
    text = text.replace("\u2028", "\n").replace("\u2029", "\n").replace("\x85", "\n")
    return unicodedata.normalize("NFC", _CONTROL.sub("", text))


def _fold(text: str) -> str:
    return _WHITESPACE.sub(" ", _clean(text)).strip()


# --- headers ----------------------------------------------------------------------------------


def _raw_header(msg: Message, name: str) -> str:
    """A header as it came, encoded-words decoded where possible: the fallback when the
    policy cannot parse it."""
    try:
        values = [value for key, value in msg.raw_items() if key.lower() == name.lower()]
    except Exception:
        return ""
    if not values:
        return ""
    value = str(values[0])
    try:
        return str(make_header(decode_header(value)))
    except Exception:
        return value


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
        text = "" if value is None else str(value)
    except Exception:
        text = _raw_header(msg, name)
    return _clean(text)


def _has(msg: Message, name: str) -> bool:
    try:
        return any(key.lower() == name for key in msg)
    except Exception:
        return False


_ADDRESS = re.compile(r"[^\s@<>,;:\"()\[\]\\]+@[^\s@<>,;:\"()\[\]\\]+")


def _valid_addresses(pairs) -> list[tuple[str, str]]:
    found = []
    for display_name, address in pairs:
        address = str(address).strip()
        if _CONTROL.search(address) or _SURROGATES.search(address):
            continue  # a control character in an address is a forgery, not a typo
        address = _fold(address).lower()
        if len(address) <= 254 and _ADDRESS.fullmatch(address):
            found.append((_fold(str(display_name)).strip("\"' "), address))
    return found


def _addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    """(display name, lower-case addr-spec) pairs; invalid addresses are left out."""
    try:
        header = msg.get(name)
        modern = [] if header is None else [(a.display_name, a.addr_spec) for a in header.addresses]
    except Exception:
        modern = []
    raw = _raw_header(msg, name)
    # The old parser reads what the modern one gives up on ("hans@x.ch (Hans Muster)").
    legacy = _valid_addresses(_safely(lambda: getaddresses([raw]), []))
    found = _valid_addresses(modern) or legacy
    if not found and not _CONTROL.search(raw):
        # "Hans Muster hans@x.ch": neither parser, but the address is plain to see.
        found = _valid_addresses(("", token) for token in _ADDRESS.findall(raw))
    names = {address: display_name for display_name, address in legacy if display_name}
    return [(display_name or names.get(address, ""), address) for display_name, address in found]


def _address_list(msg: Message, name: str) -> list[str]:
    return list(dict.fromkeys(address for _name, address in _addresses(msg, name)))


_MESSAGE_ID = re.compile(rf"<[!-;=?-~]{{1,{MAX_ID_LENGTH - 2}}}>")  # printable ASCII but <>
_BARE_ID = re.compile(r"[!-;=?-~]+@[!-;=?-~]+")


def _ids(msg: Message, name: str) -> list[str]:
    """Message ids of a header, in order, once each. Read raw: ids are ASCII, and a broken
    References header is common enough that the structured parser is no help."""
    try:
        value = " ".join(str(v) for key, v in msg.raw_items() if key.lower() == name.lower())
    except Exception:
        return []
    found = _MESSAGE_ID.findall(value)
    if not found and _BARE_ID.fullmatch(value.strip()) and len(value.strip()) <= 253:
        found = [f"<{value.strip()}>"]  # some clients forget the angle brackets
    return list(dict.fromkeys(found))


def _date(msg: Message) -> datetime | None:
    value = None
    try:
        header = msg.get("Date")
        value = header.datetime if header is not None else None
    except Exception:
        try:
            value = parsedate_to_datetime(_raw_header(msg, "Date"))
        except Exception:
            value = None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:  # "-0000": the zone is unknown; UTC is the honest reading
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(ZURICH)
    except (OverflowError, ValueError):
        return None


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


# --- HTML -------------------------------------------------------------------------------------

_SHOWN_TAGS = nh3.ALLOWED_TAGS - {"img", "area", "map"}  # no image reaches out to a server
_HIDDEN_CONTENT = {"script", "style", "title", "noscript", "template"}


def sanitise_html(html: str) -> str:
    """Incoming HTML as it may be shown: no scripts, styles, event handlers or images,
    links only to absolute web, mail and phone addresses."""
    return nh3.clean(
        _clean(html),
        tags=_SHOWN_TAGS,
        clean_content_tags=_HIDDEN_CONTENT,
        url_schemes={"http", "https", "mailto", "tel"},
        url_relative="deny",  # relative to what? To the desk's own pages: no.
        link_rel="noopener noreferrer nofollow",
    ).strip()


_LINE_TAGS = {"br", "div", "tr", "li", "dt", "dd", "header", "footer", "section", "article"}
_PARAGRAPH_TAGS = {
    "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol", "hr",
    "dl", "address", "center", "figure",
}  # fmt: skip


class _TextOfHtml(HTMLParser):
    """The text of (already normalised) HTML: blocks on their own lines, paragraphs apart."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.pre = 0
        # Per open <p>: a real paragraph (not Outlook's line), and where its text starts.
        self.paragraphs: list[tuple[bool, int]] = []

    def _ends_with(self, suffix: str) -> bool:
        return "".join(self.out[-3:]).endswith(suffix)

    def _line(self) -> None:
        if self.out and not self._ends_with("\n"):
            self.out.append("\n")

    def _paragraph(self) -> None:
        if self.out:
            self._line()
            if not self._ends_with("\n\n"):
                self.out.append("\n")

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self.out.append("\n")
        elif tag == "p":
            # Outlook writes each line as a <p class=MsoNormal> without a margin.
            outlook = any(n == "class" and "msonormal" in (v or "").lower() for n, v in attrs)
            self._line() if outlook else self._paragraph()
            self.paragraphs.append((not outlook, len(self.out)))
        elif tag in _PARAGRAPH_TAGS:
            self.pre += tag == "pre"
            self._paragraph()
        elif tag in _LINE_TAGS:
            self._line()
            if tag == "li":
                self.out.append("- ")

    def handle_endtag(self, tag):
        if tag == "p":
            paragraph, start = self.paragraphs.pop() if self.paragraphs else (True, 0)
            if paragraph or len(self.out) == start:  # Outlook's empty line: a blank line
                self._paragraph()
            else:
                self._line()
        elif tag in _PARAGRAPH_TAGS:
            self.pre = max(0, self.pre - (tag == "pre"))
            self._paragraph()
        elif tag in _LINE_TAGS and tag != "br":
            self._line()

    def handle_data(self, data):
        if not self.pre:
            data = _WHITESPACE.sub(" ", data)
            if not self.out or self._ends_with("\n"):
                data = data.lstrip()
        if data:
            self.out.append(data)


def html_to_text(html: str) -> str:
    normalised = nh3.clean(
        _clean(html),
        tags=_LINE_TAGS | _PARAGRAPH_TAGS | {"p"},
        clean_content_tags=_HIDDEN_CONTENT,
        attributes={},
        allowed_classes={"p": {"MsoNormal"}},
    )
    parser = _TextOfHtml()
    parser.feed(normalised)
    parser.close()
    return _tidy("".join(parser.out).replace("\xa0", " "))


def _tidy(text: str) -> str:
    """Lines without trailing blanks, at most one empty line in a row, none at the ends."""
    lines = [line if line == "-- " else line.rstrip() for line in _clean(text).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def _unflow(text: str, *, delsp: bool) -> str:
    """RFC 3676 format=flowed: soft line breaks (a trailing space) joined again."""
    paragraphs: list[list] = []
    open_paragraph = False
    for line in text.split("\n"):
        stripped = line.lstrip(">")
        depth = len(line) - len(stripped)
        if stripped.startswith(" "):
            stripped = stripped[1:]  # space-stuffing
        soft = stripped.endswith(" ") and stripped != "-- "
        if open_paragraph and paragraphs[-1][0] == depth:
            paragraphs[-1][1] += stripped
        else:
            paragraphs.append([depth, stripped])
        if soft and delsp:
            paragraphs[-1][1] = paragraphs[-1][1][:-1]
        open_paragraph = soft
    return "\n".join(">" * depth + (" " if depth else "") + body for depth, body in paragraphs)


# --- MIME parts -------------------------------------------------------------------------------

_EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "text/plain": ".txt",
    "text/html": ".html",
    "text/csv": ".csv",
    "text/calendar": ".ics",
    "message/rfc822": ".eml",
    "application/zip": ".zip",
    "application/xml": ".xml",
}
_UNSAFE_IN_NAMES = re.compile(r'[<>:"|?*\x00-\x1f]')
_WINDOWS_DEVICES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10))}
_WINDOWS_DEVICES |= {f"lpt{i}" for i in range(10)}


def safe_filename(name: str, content_type: str = "") -> str:
    """A file name that is only a name: no directories, controls or reserved characters,
    at most ``MAX_FILENAME`` characters with its extension kept."""
    name = _fold(name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE_IN_NAMES.sub("_", name).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    if stem.lower() in _WINDOWS_DEVICES:
        name = f"_{name}"
    if not name:
        return "attachment" + _EXTENSIONS.get(content_type, "")
    if len(name) > MAX_FILENAME:
        extension = f".{extension}" if dot and len(extension) <= 10 else ""
        name = name[: MAX_FILENAME - len(extension)].rstrip(" .") + extension
    return name


def _safely(function, default):
    try:
        return function()
    except Exception:
        return default


def _content_type(part: Message) -> str:
    return _safely(lambda: part.get_content_type().lower(), "text/plain")


def _param(part: Message, name: str) -> str:
    value = _safely(lambda: part.get_param(name), None)
    return _clean(value).strip().lower() if isinstance(value, str) else ""


def _children(part: Message) -> list[Message] | None:
    payload = _safely(part.get_payload, None)
    if not isinstance(payload, list):
        return None
    return [child for child in payload if isinstance(child, Message)]


def _filename(part: Message) -> str:
    name = _safely(part.get_filename, None)
    if not isinstance(name, str):
        return ""
    if "=?" in name:  # an encoded-word inside quotes, as Outlook writes it
        name = _safely(lambda: str(make_header(decode_header(name))), name)
    return _clean(name)


def _as_bytes(message: Message) -> bytes:
    for generating_policy in (policy.default, policy.compat32):
        try:
            return message.as_bytes(policy=generating_policy)
        except Exception:  # noqa: S112  -- a broken header: try the lenient generator
            continue
    return b""


def _payload_bytes(part: Message) -> bytes:
    data = _safely(lambda: part.get_payload(decode=True), None)
    if isinstance(data, bytes):
        return data
    payload = _safely(part.get_payload, None)
    if isinstance(payload, list):
        return b"".join(_as_bytes(m) for m in payload if isinstance(m, Message))
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    return b""


def _part_text(part: Message) -> str:
    text = _decode(_payload_bytes(part), _safely(part.get_content_charset, None))
    text = _clean(text)
    if _param(part, "format") == "flowed":
        text = _unflow(text, delsp=_param(part, "delsp") == "yes")
    return text


@dataclass
class _Piece:
    """One stretch of the body: its plain text, its HTML, or both (an alternative)."""

    plain: str = ""
    html: str = ""


@dataclass
class _Budget:
    parts: int = 0
    truncated: bool = False


@dataclass
class _Reader:
    pieces: list[_Piece] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    budget: _Budget = field(default_factory=_Budget)
    report: bool = False
    bounced_recipients: list[str] = field(default_factory=list)
    bounced_ids: list[str] = field(default_factory=list)

    def walk(self, part: Message, *, forwarded: bool = False, nesting: int = 0) -> None:
        if self.budget.parts >= MAX_PARTS or nesting > MAX_NESTING:
            self.budget.truncated = True
            return
        self.budget.parts += 1
        content_type = _content_type(part)
        maintype, _slash, subtype = content_type.partition("/")
        if maintype == "multipart":
            children = _children(part)
            if children is None:  # no boundary found: what there is, is text
                self.pieces.append(_Piece(plain=_part_text(part)))
            elif subtype == "alternative":
                self._alternative(children, forwarded=forwarded, nesting=nesting + 1)
            elif subtype == "report":
                self._report(part, children, forwarded=forwarded, nesting=nesting + 1)
            else:
                for child in children:
                    self.walk(child, forwarded=forwarded, nesting=nesting + 1)
        elif content_type == "message/rfc822" and not forwarded:
            self._forwarded(part, nesting=nesting + 1)
        else:
            self._leaf(part, content_type)

    def _leaf(self, part: Message, content_type: str) -> None:
        disposition = _safely(part.get_content_disposition, None)
        filename = _filename(part)
        if (
            content_type in ("text/plain", "text/html")
            and disposition != "attachment"
            and not filename
        ):
            text = _part_text(part)
            self.pieces.append(
                _Piece(html=text) if content_type == "text/html" else _Piece(plain=text)
            )
            return
        content_id = _header(part, "Content-ID").strip().strip("<>").strip()
        self.attachments.append(
            Attachment(
                filename=safe_filename(filename, content_type),
                content_type=content_type,
                data=_payload_bytes(part),
                content_id=content_id,
                inline=disposition == "inline" or (bool(content_id) and disposition is None),
            )
        )

    def _alternative(self, children: list[Message], *, forwarded: bool, nesting: int) -> None:
        """The same content several ways: the plain text and the HTML of the richest."""
        chosen = _Piece()
        for child in children:
            version = copy.copy(self)
            version.pieces = []
            version.walk(child, forwarded=forwarded, nesting=nesting)
            self.report = self.report or version.report
            plain = "\n\n".join(p.plain for p in version.pieces if p.plain.strip())
            html = "".join(p.html for p in version.pieces if p.html.strip())
            chosen.plain = plain or chosen.plain
            chosen.html = html or chosen.html
        self.pieces.append(chosen)

    def _report(self, part, children, *, forwarded: bool, nesting: int) -> None:
        """A delivery status (or read) notification: the human part is its text; the
        machine parts name the failed recipients and the returned message."""
        self.report = True
        for child in children:
            content_type = _content_type(child)
            if content_type == "message/delivery-status":
                self._delivery_status(child)
            elif content_type in ("message/rfc822", "text/rfc822-headers"):
                self._returned(child)
            else:
                self.walk(child, forwarded=forwarded, nesting=nesting)

    def _delivery_status(self, part: Message) -> None:
        for block in _children(part) or []:
            action = _header(block, "Action").strip().lower()
            recipient = _header(block, "Final-Recipient") or _header(block, "Original-Recipient")
            address = _fold(recipient.split(";", 1)[-1]).strip("<>").lower()
            if "@" in address and (not action or action.startswith("failed")):
                self.bounced_recipients.append(address)

    def _returned(self, part: Message) -> None:
        children = _children(part)
        if children:
            returned = children[0]
        else:  # text/rfc822-headers: the headers as text
            returned = _safely(
                lambda: BytesParser(policy=policy.default).parsebytes(
                    _payload_bytes(part), headersonly=True
                ),
                None,
            )
        if returned is not None:
            self.bounced_ids.extend(_ids(returned, "Message-ID")[:1])

    def _forwarded(self, part: Message, *, nesting: int) -> None:
        """A forwarded message: its text under a separator, its attachments with ours.
        One level deep; a message forwarded inside it stays an .eml attachment."""
        children = _children(part)
        if not children:
            self._leaf(part, "message/rfc822")
            return
        inner = children[0]
        lines = [FORWARDED]
        for name in ("From", "Date", "Subject", "To"):
            value = _fold(_header(inner, name))
            if value:
                lines.append(f"{name}: {value}")
        self.pieces.append(_Piece(plain="\n".join(lines)))
        self.walk(inner, forwarded=True, nesting=nesting)


def _body(reader: _Reader) -> tuple[str, str]:
    """The readable text (plain text, else the text of the HTML) and the sanitised HTML."""
    texts, htmls = [], []
    for piece in reader.pieces:
        html = piece.html[:MAX_TEXT]
        plain = piece.plain if piece.plain.strip() else (html_to_text(html) if html else "")
        if plain.strip():
            texts.append(_tidy(plain))
        if html.strip():
            htmls.append(html)
        elif plain.strip():  # a plain stretch between HTML ones (a forward's header, say)
            htmls.append(f"<pre>{html_lib.escape(plain)}</pre>")
    text = "\n\n".join(texts)
    has_html = any(piece.html.strip() for piece in reader.pieces)
    html = "\n".join(htmls)
    if len(text) > MAX_TEXT or len(html) > MAX_TEXT:
        reader.budget.truncated = True
    return text[:MAX_TEXT], sanitise_html(html[:MAX_TEXT]) if has_html else ""


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


def _read(msg: Message, raw: bytes) -> ParsedMessage:
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


# --- replying ---------------------------------------------------------------------------------

_CASE_REFERENCE = re.compile(r"\[\s*C-(\d{1,9})\s*\]", re.IGNORECASE)
# Reply and forward prefixes of English, German, French, Italian and Nordic clients, with the
# French space before the colon ("RE :") and counters ("Re[2]:").
_PREFIX = re.compile(
    r"^\s*(?:re|aw|antw|wg|tr|fw|fwd|r|sv|vs)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*",
    re.IGNORECASE,
)


def case_reference_in(subject: str) -> list[int]:
    """The case numbers n of "[C-n]" in a subject, in order, once each."""
    numbers = (int(n) for n in _CASE_REFERENCE.findall(subject or ""))
    return list(dict.fromkeys(n for n in numbers if n > 0))


def reply_subject(subject: str, reference: str) -> str:
    """The subject of an answer: one "Re:", then the case's tag once, then the topic.

    ``reply_subject("AW: AW: [C-42] Lohnlauf", "C-42") == "Re: [C-42] Lohnlauf"``
    """
    reference = (reference or "").strip().strip("[]").strip()
    tag = re.compile(r"\[\s*" + re.escape(reference) + r"\s*\]", re.IGNORECASE)
    rest = _fold(subject or "")
    while True:
        shorter = _PREFIX.sub("", rest, count=1)
        if reference:
            shorter = re.sub(r"^\s*" + tag.pattern, "", shorter, flags=re.IGNORECASE)
        if shorter == rest:
            break
        rest = shorter
    if reference:
        rest = tag.sub(" ", rest)
    rest = _fold(rest)
    head = f"Re: [{reference}]" if reference else "Re:"
    return f"{head} {rest}" if rest else head


def quote_text(text: str, *, author: str, sent: datetime | None) -> str:
    """The message replied to, quoted under "On 30.11.2026 14:05, Anna Muster wrote:" in
    the active language, the time in Zurich."""
    author = _fold(author or "")
    if sent is not None:
        local = sent.astimezone(ZURICH) if sent.tzinfo is not None else sent
        when = local.strftime("%d.%m.%Y %H:%M")
        if author:
            header = _("On %(date)s, %(author)s wrote:") % {"date": when, "author": author}
        else:
            header = _("On %(date)s, the sender wrote:") % {"date": when}
    else:
        header = _("%(author)s wrote:") % {"author": author} if author else _("The sender wrote:")
    lines = _tidy(text or "").split("\n")
    quoted = [">" if not line else (">" if line.startswith(">") else "> ") + line for line in lines]
    return "\n".join([header, *quoted]) if text and text.strip() else header
