"""The case as one conversation, oldest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    Exists,
    OuterRef,
    Prefetch,
)

from ..models import (
    Callback,
    CallbackAttempt,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseNote,
    InboundEmail,
    SupportEmail,
    TimeEntry,
)

# --- the case as one conversation ---------------------------------------------------------


@dataclass(frozen=True)
class TimelineItem:
    """One line of a case's timeline: what happened (``kind``), when, and the row itself.

    Kinds: ``inbound`` (InboundEmail), ``outgoing`` (SupportEmail), ``note`` (CaseNote),
    ``time`` (TimeEntry), ``callback`` (Callback), ``attempt`` (CallbackAttempt),
    ``event`` (CaseEvent), ``follows`` and ``followed_by`` (Case).
    """

    kind: str
    at: datetime
    obj: object


def timeline_parts() -> dict[str, Exists]:
    """Annotations of a case saying which parts of its timeline it has (``has_inbound``,
    ``has_outgoing``, ...): read with the case, they spare :func:`case_timeline` a query
    for each part the case does not have (a phone case has no e-mail, most have no note
    and no follow-up), an index lookup each instead of a round trip each."""
    case = OuterRef("pk")
    return {
        "has_inbound": Exists(InboundEmail.objects.filter(case=case)),
        "has_outgoing": Exists(SupportEmail.objects.filter(case=case)),
        "has_notes": Exists(CaseNote.objects.filter(case=case)),
        "has_callbacks": Exists(Callback.objects.filter(case=case)),
        "has_events": Exists(
            CaseEvent.objects.filter(case=case).exclude(kind=CaseEventKind.FOLLOW_UP)
        ),
        "has_followers": Exists(Case.objects.filter(follows=case)),
    }


def _has(case: Case, part: str) -> bool:
    """Whether the case may have ``part`` (yes, unless read with :func:`timeline_parts`)."""
    return getattr(case, f"has_{part}", True)


def case_timeline(case: Case, *, entries: list[TimeEntry] | None = None) -> list[TimelineItem]:
    """Everything that happened on ``case``, oldest first, in a fixed number of queries
    (fewer for a case read with :func:`timeline_parts`: none for a part it has not).

    ``entries`` are the case's time entries when the caller has them already (the case
    page lists them in its time card), with ``created_by`` and ``removed_by`` selected.
    """
    items: list[TimelineItem] = []
    if _has(case, "inbound"):
        for inbound in case.inbound_emails.prefetch_related("attachments"):
            items.append(TimelineItem("inbound", inbound.received_at, inbound))
    if _has(case, "outgoing"):
        for sent in case.emails.select_related("created_by").prefetch_related("attachments"):
            items.append(TimelineItem("outgoing", sent.created_at, sent))
    if _has(case, "notes"):
        for note in case.notes.select_related("created_by"):
            items.append(TimelineItem("note", note.created_at, note))
    if entries is None:
        entries = list(case.time_entries.select_related("created_by", "removed_by"))
    for entry in entries:
        items.append(TimelineItem("time", entry.created_at, entry))
    if _has(case, "callbacks"):
        callbacks = case.callbacks.select_related("created_by", "claimed_by").prefetch_related(
            Prefetch("attempts", queryset=CallbackAttempt.objects.select_related("by")),
            "windows",
        )
        for callback in callbacks:
            items.append(TimelineItem("callback", callback.created_at, callback))
            for attempt in callback.attempts.all():
                items.append(TimelineItem("attempt", attempt.at, attempt))
    # A follow-up is shown from the case it points to (a link), not from its event text.
    if _has(case, "events"):
        for event in case.events.exclude(kind=CaseEventKind.FOLLOW_UP).select_related("by"):
            items.append(TimelineItem("event", event.at, event))
    if case.follows_id is not None:
        items.append(TimelineItem("follows", case.created_at, case.follows))
    if _has(case, "followers"):
        for later in case.followed_by.only("pk", "subject", "created_at"):
            items.append(TimelineItem("followed_by", later.created_at, later))
    # The case's own start comes first at equal instants; then what happened on it.
    order = {"follows": 0}
    items.sort(key=lambda item: (item.at, order.get(item.kind, 1)))
    return items
