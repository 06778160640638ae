"""No template carries inline JavaScript: the Content-Security-Policy forbids it, and a
translated text inside ``confirm('…')`` broke on the first French apostrophe (so the
"remove line" and "discard draft" buttons ran without asking). Behaviour lives in
static/js and reads data- attributes; htmx asks with ``hx-confirm``."""

import re
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATES = sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))

EVENT_HANDLER = re.compile(r"""[\s"'/]on[a-z]+\s*=""", re.IGNORECASE)
HTMX_ON = re.compile(r"""[\s"'](data-)?hx-on[:\-]""", re.IGNORECASE)
JS_URL = re.compile(r"""javascript\s*:""", re.IGNORECASE)
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)


def test_the_templates_are_found():
    assert len(TEMPLATES) > 20
    assert Path(settings.BASE_DIR, "templates", "base.html") in TEMPLATES


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_no_inline_event_handler_or_script(path):
    text = path.read_text(encoding="utf-8")
    assert not EVENT_HANDLER.findall(text), "inline event handler"
    assert not HTMX_ON.findall(text), "hx-on runs inline code"
    assert not JS_URL.findall(text), "javascript: address"
    for attributes, body in SCRIPT.findall(text):
        assert "src=" in attributes and not body.strip(), f"inline script: {body[:80]!r}"


@pytest.mark.parametrize(
    "snippet",
    [
        "<form onsubmit=\"return confirm('x')\">",
        "<select class=x onchange='this.form.submit()'>",
        '<button ONCLICK = "go()">',
        '<div hx-on:click="alert(1)">',
        '<a href="javascript:void(0)">',
    ],
)
def test_the_check_finds_what_it_looks_for(snippet):
    assert EVENT_HANDLER.search(snippet) or HTMX_ON.search(snippet) or JS_URL.search(snippet)


def test_the_check_lets_ordinary_attributes_pass():
    text = (
        '<meta name="viewport" content="width=device-width">'
        '<a aria-controls="x" data-confirm="Sûr ?">'
    )
    assert not EVENT_HANDLER.search(text) and not HTMX_ON.search(text)
    inline = SCRIPT.findall('<script>alert(1)</script><script src="/static/js/desk.js"></script>')
    assert [bool(body.strip()) for _, body in inline] == [True, False]


def test_every_page_loads_the_script_that_asks_before_destructive_actions():
    base = Path(settings.BASE_DIR, "templates", "base.html").read_text(encoding="utf-8")
    assert "js/desk.js" in base and "data-autosubmit" in base
    script = Path(settings.BASE_DIR, "static", "js", "desk.js").read_text(encoding="utf-8")
    assert "dataset.confirm" in script and "window.confirm" in script
