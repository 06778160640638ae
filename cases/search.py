"""The texts of each case in one row (``CaseSearch``), for the text search of the case list.

Why a denormalised row per case rather than a search over the five tables the texts live
in: the case list searches 100 000 cases and more, and a match must come from an index.
A document spread over notes, time entries and e-mails cannot be indexed; one row per
case with a weighted ``tsvector`` (subject A, description B, notes C, e-mails D) sits
behind one GIN index, ranks with ``ts_rank`` and joins the case list one to one, so the
list's other filters, its count and its pagination stay as they are.

The write stays simple: :func:`case_search_refresh` rebuilds the case's row from its
texts (five small reads and an upsert), called once at each place a text is written:
a case opened, a note, a time entry, an e-mail written or filed. Rebuilding rather than
appending means no drift: any refresh puts the row right again, and
:func:`case_search_rebuild` (migration, ``manage.py case_search_rebuild``) does it for all.
One write is frequent enough to be appended instead: a time entry's note, the newest of
the texts a rebuild puts last in ``notes`` (:func:`case_search_time_note_added`, one
UPDATE that stores exactly what a rebuild would).

The row also copies what the search's order needs of the case (``urgent``, ``created_at``),
so the matches are sorted and cut to a page without their cases: a status change calls
:func:`case_search_order_refresh`, and every refresh copies them again.

PostgreSQL reads the texts in the customer's language (``q3_french``, ``q3_german``,
``q3_english``: the built-in configurations with ``unaccent`` before the stemmer, see
migration 0008), so "muller" finds "Müller" and "probleme" finds "problème". SQLite has
no such search: it matches each word anywhere (``LIKE``), accents count there.
"""

from __future__ import annotations

import operator
import re
from datetime import datetime
from functools import reduce
from typing import TypedDict

from django.apps import apps as django_apps
from django.contrib.postgres.search import SearchVector
from django.db import connection, models, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Left

from .models import ACTIVE_STATUSES

# The customer's language → the PostgreSQL text search configuration of its case.
CONFIGS = {"fr": "q3_french", "de": "q3_german", "en": "q3_english"}
DEFAULT_CONFIG = CONFIGS["fr"]
# ts_headline marks the matching words with these private-use characters; the page
# escapes the text and only then turns them into <mark> (they are removed from the texts).
START, STOP = "\ue000", "\ue001"
ITEM_LIMIT = 10_000  # characters of one note or e-mail
COLUMN_LIMIT = 50_000  # characters of one column (a long thread keeps its first messages)
WEIGHTS = (("subject", "A"), ("description", "B"), ("notes", "C"), ("emails", "D"))
QUOTED_LINE = re.compile(r"^[ \t]*>.*(?:\n|$)", re.MULTILINE)


def search_vector(**columns):
    """The weighted document of a ``CaseSearch`` row, from its own columns (or from the
    expressions given for some of them: the new value of a column in an UPDATE)."""
    return reduce(
        operator.add,
        (
            SearchVector(columns.get(column, column), config=F("config"), weight=w)
            for column, w in WEIGHTS
        ),
    )


def is_urgent(*, support_plus: bool, status: str) -> bool:
    """``URGENT`` (``cases.models``) of one case, as the search row copies it."""
    return bool(support_plus) and status in ACTIVE_STATUSES


def _clean(text: str | None) -> str:
    text = (text or "").replace(START, "").replace(STOP, "").replace("\x00", "")
    return text[:ITEM_LIMIT].strip()


def _join(parts: list[str]) -> str:
    return "\n\n".join(part for part in parts if part)[:COLUMN_LIMIT]


class _Texts(TypedDict):
    """The texts of one case, gathered for its ``CaseSearch`` row, and its order."""

    config: str
    subject: str
    description: str
    notes: list[str]
    emails: list[str]
    urgent: bool
    created_at: datetime


def _documents(apps, case_ids, *, lock: bool) -> list:
    """The ``CaseSearch`` rows (unsaved) of ``case_ids``, read from the texts: five queries."""
    model = apps.get_model
    cases = model("cases", "Case").objects.filter(pk__in=case_ids)
    if lock:  # writers of one case one after the other, so none drops the other's text
        cases = cases.select_for_update(of=("self",))
    docs: dict[int, _Texts] = {
        pk: {
            "config": CONFIGS.get(language, DEFAULT_CONFIG),
            "subject": _clean(subject),
            "description": _clean(description),
            "notes": [],
            "emails": [],
            "urgent": is_urgent(support_plus=support_plus, status=status),
            "created_at": created_at,
        }
        for pk, subject, description, language, support_plus, status, created_at in (
            cases.values_list(
                "pk",
                "subject",
                "description",
                "customer__language",
                "support_plus",
                "status",
                "created_at",
            )
        )
    }
    notes = model("cases", "CaseNote").objects.filter(case_id__in=docs).order_by("created_at")
    for case_id, text in notes.values_list("case_id", "text"):
        docs[case_id]["notes"].append(_clean(text))
    entries = model("cases", "TimeEntry").objects.filter(case_id__in=docs).exclude(note="")
    for case_id, text in entries.order_by("created_at").values_list("case_id", "note"):
        docs[case_id]["notes"].append(_clean(text))
    inbound = model("cases", "InboundEmail").objects.filter(case_id__in=docs)
    for case_id, subject, text in inbound.order_by("received_at").values_list(
        "case_id", "subject", "text"
    ):
        # Lines quoted from earlier messages are found in those messages already.
        docs[case_id]["emails"] += [_clean(subject), _clean(QUOTED_LINE.sub("", text))]
    outgoing = model("cases", "SupportEmail").objects.filter(case_id__in=docs)
    for case_id, subject, body in outgoing.order_by("created_at").values_list(
        "case_id", "subject", "body"
    ):
        docs[case_id]["emails"] += [_clean(subject), _clean(body)]
    row = model("cases", "CaseSearch")
    fields = _fields(row)
    return [
        row(
            case_id=pk,
            **{
                name: value
                for name, value in {
                    **doc,
                    "notes": _join(doc["notes"]),
                    "emails": _join(doc["emails"]),
                }.items()
                if name in fields
            },
        )
        for pk, doc in docs.items()
    ]


def _fields(row) -> list[str]:
    """The columns a refresh writes: those of ``row``, the model of the migration that
    runs it (migration 0008 indexes with the model it created, before the order's copy)."""
    names = {field.name for field in row._meta.concrete_fields}
    return [name for name in _Texts.__annotations__ if name in names]


def _store(apps, case_ids, *, lock: bool) -> None:
    row = apps.get_model("cases", "CaseSearch")
    rows = _documents(apps, case_ids, lock=lock)
    if not rows:
        return
    row.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["case"],
        update_fields=_fields(row),
    )
    if connection.vendor == "postgresql":
        row.objects.filter(case_id__in=[r.case_id for r in rows]).update(vector=search_vector())


def case_search_refresh(*, case) -> None:
    """Rebuild the search row of ``case`` from its texts (call it where a text is written).

    Takes the case's row lock, so two writers of one case (a note while an e-mail comes in)
    write one after the other and the second reads the first's text.
    """
    with transaction.atomic(savepoint=False):
        _store(django_apps, [case.pk], lock=True)


def case_search_time_note_added(*, case_id: int, text: str) -> None:
    """Add the note of a time entry just posted on the case to its search row: one UPDATE.

    Stores exactly what :func:`case_search_refresh` would: a rebuild puts the time-entry
    notes last in ``notes``, oldest first, so the newest one goes at the end (cut to the
    column's length as a rebuild cuts it); PostgreSQL's document is computed again in the
    same statement. Call it with the case's row locked, as ``time_entry_add`` does, so
    that a refresh of the case (an e-mail filed meanwhile) reads the entry or waits for it.
    Not for an internal note: a rebuild puts those before the time-entry notes.
    """
    text = _clean(text)
    if not text:
        return
    row = django_apps.get_model("cases", "CaseSearch")
    notes = Left(
        models.Case(
            models.When(notes="", then=Value(text)),
            default=Concat(F("notes"), Value("\n\n"), Value(text)),
            output_field=models.TextField(),
        ),
        COLUMN_LIMIT,
    )
    columns = {"notes": notes}
    if connection.vendor == "postgresql":
        columns["vector"] = search_vector(notes=notes)
    if not row.objects.filter(case_id=case_id).update(**columns):
        # No row yet (a case written in bulk and never indexed): build it whole.
        with transaction.atomic(savepoint=False):
            _store(django_apps, [case_id], lock=True)


def case_search_order_refresh(*, case) -> None:
    """Copy the case's ``URGENT`` to its search row: call it where the status changes (or
    Support+ does), with the case as it was saved. One UPDATE."""
    row = django_apps.get_model("cases", "CaseSearch")
    urgent = is_urgent(support_plus=case.support_plus, status=case.status)
    row.objects.filter(case_id=case.pk).update(urgent=urgent)


def case_search_rebuild(*, apps=django_apps, chunk: int = 1000) -> int:
    """Rebuild the search rows of every case (after a bulk import); returns how many."""
    ids = list(apps.get_model("cases", "Case").objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), chunk):
        _store(apps, ids[start : start + chunk], lock=False)
    return len(ids)
