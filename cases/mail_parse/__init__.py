"""Reading incoming support e-mail (R15): raw RFC 5322 bytes to a small typed value.

Pure: no ORM, no settings. The filing service (``cases.inbound``) decides what becomes of a
message; this package only reads it, with Python's ``email`` package and its modern policy,
and never trusts it: any header may be broken, any charset wrong, any HTML hostile. A
message that cannot be read at all raises :class:`UnreadableMessage` (the caller keeps it
raw); nothing else ever escapes :func:`parse_message`.

One module per concept; import the names from here:

- ``message``: :func:`parse_message` and the :class:`ParsedMessage` it returns, automatic
  mail and bounces
- ``headers``: the sender, the recipients and the date
- ``parts``: walking the MIME tree to the body and the attachments
- ``bodies``: HTML sanitised for display and turned into text
- ``attachments``: :class:`Attachment` and safe file names
- ``replies``: case references in subjects, the subject and quoted text of an answer
- ``_common``: the limits of what is read, text hygiene, reading one header or parameter
"""

from ._common import (
    FORWARDED,
    MAX_FILENAME,
    MAX_ID_LENGTH,
    MAX_NESTING,
    MAX_PARTS,
    MAX_REFERENCES,
    MAX_SUBJECT,
    MAX_TEXT,
    ZURICH,
)
from .attachments import Attachment, safe_filename
from .bodies import html_to_text, sanitise_html
from .message import ParsedMessage, UnreadableMessage, parse_message, synthetic_message_id
from .replies import case_reference_in, quote_text, reply_subject

__all__ = [
    "FORWARDED",
    "MAX_FILENAME",
    "MAX_ID_LENGTH",
    "MAX_NESTING",
    "MAX_PARTS",
    "MAX_REFERENCES",
    "MAX_SUBJECT",
    "MAX_TEXT",
    "ZURICH",
    "Attachment",
    "ParsedMessage",
    "UnreadableMessage",
    "case_reference_in",
    "html_to_text",
    "parse_message",
    "quote_text",
    "reply_subject",
    "safe_filename",
    "sanitise_html",
    "synthetic_message_id",
]
