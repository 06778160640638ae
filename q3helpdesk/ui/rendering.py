"""Helpers for pages that write many rows: what Django's template machinery does per
value, done once per page or once per process, with the same result.

- :func:`phone_text`: a phone number as ``{{ phone }}`` shows it, remembered per number;
- :class:`NumberedUrl`: ``{% url name pk %}`` for every row of a page from one
  ``reverse()``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from phonenumber_field.phonenumber import PhoneNumber


@lru_cache(maxsize=4096)
def _phone_text(stored: str, shown_as: str) -> str:
    return str(PhoneNumber.from_string(stored))


def phone_text(phone: Any) -> str:
    """A phone number as ``{{ phone }}`` shows it (the format of the settings), the text
    of each number worked out once per process: phonenumbers takes tens of microseconds
    to format one, and a list shows fifty."""
    stored = getattr(phone, "raw_input", "")
    # A number stored in E.164 ("+41…") reads the same whatever the default region.
    if type(phone) is PhoneNumber and isinstance(stored, str) and stored.startswith("+"):
        return _phone_text(stored, getattr(settings, "PHONENUMBER_DEFAULT_FORMAT", "E164"))
    return str(phone)


class NumberedUrl:
    """``reverse(viewname, args=…, kwargs=…)`` for the numbers of many rows: reversed once
    with placeholder numbers, each call puts its own numbers in their place.

    A number (ASCII digits) needs no quoting and passes any converter that took the
    10-digit placeholder; a value that is not a number, or a URL the placeholders cannot
    stand in, is reversed as usual. Made per page: ``reverse()`` adds the request's
    script prefix.
    """

    PLACEHOLDER = "9081726354"

    def __init__(self, viewname: str, *, args: int = 0, kwargs: tuple[str, ...] = ()) -> None:
        self.viewname, self.nargs, self.keys = viewname, args, kwargs
        self.parts: list[str | int] | None = None
        marks = [f"{self.PLACEHOLDER}{n:02d}" for n in range(args + len(kwargs))]
        try:
            url = reverse(
                viewname,
                args=marks[:args] or None,
                kwargs=dict(zip(kwargs, marks[args:], strict=True)) or None,
            )
        except NoReverseMatch:
            return
        pieces = re.split(f"({'|'.join(marks)})", url) if marks else [url]
        if [p for p in pieces if p in marks] != marks:
            return  # a placeholder missing or twice: reversed for every row
        self.parts = [marks.index(p) if p in marks else p for p in pieces]

    def __call__(self, *values: Any) -> str:
        texts = [str(value) for value in values]
        if self.parts is None or not all(t.isascii() and t.isdigit() for t in texts):
            return reverse(
                self.viewname,
                args=values[: self.nargs] or None,
                kwargs=dict(zip(self.keys, values[self.nargs :], strict=True)) or None,
            )
        return "".join(texts[p] if isinstance(p, int) else p for p in self.parts)
