"""Walking the MIME tree: text parts (charsets, format=flowed), alternatives, attachments,
delivery reports and forwarded messages, within the limits of what is read; the body
that results."""

from __future__ import annotations

import copy
import html as html_lib
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser

from ._common import (
    FORWARDED,
    MAX_NESTING,
    MAX_PARTS,
    MAX_TEXT,
    _clean,
    _content_type,
    _decode,
    _fold,
    _header,
    _ids,
    _param,
    _safely,
    _tidy,
)
from .attachments import Attachment, safe_filename
from .bodies import html_to_text, sanitise_html


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
