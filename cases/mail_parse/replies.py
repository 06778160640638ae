"""Answering a message: the case references in a subject, the subject of an answer, the
quoted text."""

from __future__ import annotations

import re
from datetime import datetime

from django.utils.translation import gettext as _

from ._common import ZURICH, _fold, _tidy

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
