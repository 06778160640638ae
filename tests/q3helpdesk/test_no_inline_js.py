"""No template carries inline JavaScript: the Content-Security-Policy forbids it, and a
translated text inside ``confirm('…')`` broke on the first French apostrophe (so the
"remove line" and "discard draft" buttons ran without asking). Behaviour lives in
static/js and reads data- attributes; htmx asks with ``hx-confirm``.

Nor inline styles (``style="…"``, ``<style>``): the policy's ``style-src 'self'`` ignores
them, so the page would silently lose its layout. They live in static/css/q3helpdesk.css.
Only templates no browser is served are exempt: the invoice PDF (WeasyPrint reads it).
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATES = sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))

EVENT_HANDLER = re.compile(r"""[\s"'/]on[a-z]+\s*=""", re.IGNORECASE)
HTMX_ON = re.compile(r"""[\s"'](data-)?hx-on[:\-]""", re.IGNORECASE)
JS_URL = re.compile(r"""javascript\s*:""", re.IGNORECASE)
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
STYLE_ATTRIBUTE = re.compile(r"""[\s"'/]style\s*=""", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
# Rendered for WeasyPrint, never sent to a browser: its styles are inline on purpose.
NOT_FOR_BROWSERS = {Path(settings.BASE_DIR, "templates", "billing", "invoice_pdf.html")}
PAGES = [path for path in TEMPLATES if path not in NOT_FOR_BROWSERS]


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


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_no_inline_style(path):
    text = path.read_text(encoding="utf-8")
    assert not STYLE_ATTRIBUTE.findall(text), "style attribute: use a class of q3helpdesk.css"
    assert not STYLE_ELEMENT.findall(text), "<style> element: use q3helpdesk.css"


def test_only_the_invoice_pdf_is_exempt_from_the_style_check():
    assert len(PAGES) == len(TEMPLATES) - 1
    pdf = Path(settings.BASE_DIR, "templates", "billing", "invoice_pdf.html").read_text()
    assert STYLE_ELEMENT.search(pdf)  # the exemption is still needed


@pytest.mark.parametrize(
    "snippet",
    ['<div style="width: 3%">', "<td class=x style='color:red'>", "<p STYLE = x>", "<style>"],
)
def test_the_style_check_finds_what_it_looks_for(snippet):
    assert STYLE_ATTRIBUTE.search(snippet) or STYLE_ELEMENT.search(snippet)


def test_the_style_check_lets_stylesheets_and_classes_pass():
    text = (
        '<link rel="stylesheet" href="/static/css/q3helpdesk.css">'
        '<div class="progress-thin" data-style="x" aria-label="Progress">'
    )
    assert not STYLE_ATTRIBUTE.search(text) and not STYLE_ELEMENT.search(text)


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


def test_htmx_is_told_not_to_inject_its_indicator_style():
    """htmx adds a <style> for its request indicator unless configured not to: the policy
    would refuse it (and report a violation on every page)."""
    base = Path(settings.BASE_DIR, "templates", "base.html").read_text(encoding="utf-8")
    assert '"includeIndicatorStyles": false' in base
    css = Path(settings.BASE_DIR, "static", "css", "q3helpdesk.css").read_text(encoding="utf-8")
    assert ".htmx-request .htmx-indicator" in css
