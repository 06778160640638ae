"""Attachments: the value the parser hands over, and file names that are only names."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._common import MAX_FILENAME, _fold


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
