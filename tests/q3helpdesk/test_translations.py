"""Every string of the interface is translated into French and German, and the compiled
catalogues (.mo, used at run time) match their sources (.po)."""

import gettext
import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "locale"
ENTRY = re.compile(
    r'^(?:msgctxt ((?:".*"\n)+))?msgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)', re.MULTILINE
)


def _unquote(block: str) -> str:
    parts = re.findall(r'"(.*)"', block)
    return "".join(parts).encode().decode("unicode_escape").encode("latin-1").decode()


def _po_entries(language: str) -> list[tuple[str, str, bool, str | None]]:
    text = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = []
    for chunk in text.split("\n\n"):
        match = ENTRY.search(chunk + "\n")
        if match and _unquote(match.group(2)):
            fuzzy = "#, fuzzy" in chunk or re.search(r"#,.*fuzzy", chunk) is not None
            context = _unquote(match.group(1)) if match.group(1) else None
            entries.append((_unquote(match.group(2)), _unquote(match.group(3)), fuzzy, context))
    return entries


@pytest.mark.parametrize("language", ["fr", "de"])
def test_every_message_is_translated_and_compiled(language):
    entries = _po_entries(language)
    assert len(entries) > 150
    untranslated = [msgid for msgid, msgstr, fuzzy, _ in entries if not msgstr or fuzzy]
    assert untranslated == []
    with open(LOCALE / language / "LC_MESSAGES" / "django.mo", "rb") as mo:
        catalogue = gettext.GNUTranslations(mo)
    stale = [
        msgid
        for msgid, msgstr, _, context in entries
        if (catalogue.pgettext(context, msgid) if context else catalogue.gettext(msgid)) != msgstr
    ]
    assert stale == [], "run `make messages` to compile the catalogues"


@pytest.mark.django_db
def test_service_errors_reach_the_user_in_french():
    from django.core.exceptions import ValidationError
    from django.utils import translation

    from customers.services import licence_create
    from tests.factories import CustomerFactory

    with translation.override("fr"), pytest.raises(ValidationError) as exc:
        licence_create(customer=CustomerFactory(), variant="profi", modules=["XYZ"])
    assert exc.value.messages == ["Code(s) de module inconnu(s) : XYZ."]
