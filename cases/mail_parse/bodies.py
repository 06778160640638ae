"""HTML bodies: sanitised for display, and turned into plain text (blocks on their own
lines, Outlook's paragraphs understood)."""

from __future__ import annotations

from html.parser import HTMLParser

import nh3

from ._common import _WHITESPACE, _clean, _tidy

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
