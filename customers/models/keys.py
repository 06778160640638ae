"""Names as the caller lookup compares them: without case and accents, and with German
spellings folded (``search_key``, ``fold_key``), kept on the rows by :class:`NameKeyed`."""

from __future__ import annotations

import re
import unicodedata

from django.db import models


def search_key(text: str) -> str:
    """Text as the lookup compares it: lower case, without accents (Müller → muller)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


# German written without umlauts: "ae", "oe", "ue" stand for "ä", "ö", "ü".
_UMLAUT_SPELLING = re.compile(r"(?<=[aou])e")


def fold_key(text: str) -> str:
    """Text as the lookup compares German spellings: the search key with "ae", "oe", "ue"
    read as "a", "o", "u" (and "ß" as "ss"), so that Müller, Mueller and Muller all give
    "muller", Bärtschi and Baertschi "bartschi", Straße and Strasse "strasse"."""
    return _UMLAUT_SPELLING.sub("", search_key(text))


class NameKeyed(models.Model):
    """Keeps ``name_key`` and ``fold_key``, the name as the caller lookup compares it (see
    search_key and fold_key). Rows written with ``bulk_create`` must set them themselves."""

    name_key = models.CharField(max_length=140, blank=True, editable=False, db_index=True)
    fold_key = models.CharField(max_length=140, blank=True, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.set_name_keys()
        if kwargs.get("update_fields") is not None and "name" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_key", "fold_key"}
        super().save(*args, **kwargs)

    def set_name_keys(self):
        """Derive the keys from the name (``save`` does; a ``bulk_create`` must call it)."""
        # The key of a name that fits its column can be longer than the name ("ß" → "ss",
        # "ﬁ" → "fi"); the lookup matches on the part that fits rather than failing.
        self.name_key = search_key(self.name)[: self._meta.get_field("name_key").max_length]
        self.fold_key = fold_key(self.name)[: self._meta.get_field("fold_key").max_length]
