"""The sender, the recipients and the date of a message, read from headers that may be
broken in every way real clients break them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime

from ._common import _CONTROL, _SURROGATES, ZURICH, _fold, _raw_header, _safely

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


def _addresses(msg: EmailMessage, name: str) -> list[tuple[str, str]]:
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


def _address_list(msg: EmailMessage, name: str) -> list[str]:
    return list(dict.fromkeys(address for _name, address in _addresses(msg, name)))


def _date(msg: EmailMessage) -> datetime | None:
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
