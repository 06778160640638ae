"""The case: a call, an e-mail or a session, with its status, kind and channel; its
internal notes, the events of its timeline (who changed what), and its texts for search."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ._common import _staff


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone (Infoline)")
    EMAIL = "email", _("E-mail")
    REMOTE = "remote", _("Training / remote session")
    SUPPORT_PLUS = "support_plus", _("Support+ direct line")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WAITING = "waiting", _("Waiting for customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


ACTIVE_STATUSES = (CaseStatus.OPEN, CaseStatus.WAITING)
# Handled first: a Support+ case while it is open or waiting (a closed one is history).
URGENT = models.Case(
    models.When(
        models.Q(support_plus=True) & models.Q(status__in=ACTIVE_STATUSES), then=models.Value(1)
    ),
    default=models.Value(0),
    output_field=models.IntegerField(),
)


class CaseKind(models.TextChoices):
    CASE = "case", _("Support case")
    LEAD = "lead", _("Rental-switch lead")


class Case(models.Model):
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("customer"),
    )
    contact = models.ForeignKey(
        "customers.Contact",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("contact"),
    )
    kind = models.CharField(
        _("kind"), max_length=8, choices=CaseKind.choices, default=CaseKind.CASE
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    support_plus = models.BooleanField(
        _("Support+"),
        default=False,
        help_text=_("Opened for a registered Support+ person: handled first."),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assigned to"),
    )
    created_by = _staff(_("opened by"))
    bug_reference = models.CharField(_("bug reference"), max_length=64, blank=True)
    verified_bug_at = models.DateTimeField(_("software error verified"), null=True, blank=True)
    # The day the call or e-mail came in: today, or a few days back for a call recorded
    # late (R13). Work on the case is dated from this day to today.
    opened_on = models.DateField(_("received on"))
    created_at = models.DateTimeField(_("opened"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # A reply to a case closed long ago opens a new case that follows the old one (R15).
    follows = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="followed_by",
        verbose_name=_("follows"),
    )
    # Who changed the status, the assignee, the verified error... (issue 15).
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-support_plus", "-created_at"]
        indexes = [
            models.Index(fields=["-support_plus", "-created_at"], name="case_default_order_idx"),
            models.Index(fields=["status", "-support_plus", "-created_at"], name="case_status_idx"),
            models.Index(fields=["customer", "-created_at"], name="case_customer_idx"),
            models.Index(fields=["assignee", "status"], name="case_assignee_idx"),
            models.Index(fields=["channel", "-created_at"], name="case_channel_idx"),
            models.Index(fields=["created_at"], name="case_created_idx"),
            models.Index(fields=["kind", "created_at"], name="case_kind_created_idx"),
            models.Index(fields=["resolved_at"], name="case_resolved_idx"),
            # The case list: the desk's working view, and every case urgent first.
            models.Index(
                fields=["-support_plus", "-created_at"],
                condition=models.Q(status__in=ACTIVE_STATUSES),
                name="case_active_idx",
            ),
            models.Index(URGENT.desc(), models.F("created_at").desc(), name="case_urgent_idx"),
            # The case list sorts by every column; the subject is the one no other index
            # leads with (sorting by it read and sorted every case).
            models.Index(fields=["subject"], name="case_subject_idx"),
            # The cases that follow a case (its page lists them). Nearly every case follows
            # none: on the whole column SQLite's statistics see one value of 100 000 rows
            # and read the cases in the list's order instead; only the few set, they are
            # an exact lookup on both databases.
            models.Index(
                fields=["follows"],
                condition=models.Q(follows__isnull=False),
                name="case_follows_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        """The case's reference; billing groups the case's time under it (``work_ref``)."""
        return f"C-{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_waiting(self) -> bool:
        """Waiting for the customer's answer: still active, but the ball is in their court."""
        return self.status == CaseStatus.WAITING

    @property
    def is_lead(self) -> bool:
        """A rental-switch lead: recorded for sales, no support time, no e-mail."""
        return self.kind == CaseKind.LEAD

    @property
    def is_support_case(self) -> bool:
        return self.kind == CaseKind.CASE

    @property
    def can_log_time(self) -> bool:
        """Time is logged on support cases that are still being worked on."""
        return self.is_support_case and self.is_active


class CaseNote(models.Model):
    """An internal note on a case: for the staff only, never e-mailed."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="notes", verbose_name=_("case")
    )
    text = models.TextField(_("note"))
    created_by = _staff(_("written by"))
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="casenote_case_idx")]

    def __str__(self) -> str:
        return f"{self.case.reference}: {self.text[:40]}"


class CaseSearch(models.Model):
    """The texts of a case in one row, for the text search of the case list.

    Written by ``cases.search.case_search_refresh`` wherever a case's texts are written;
    the search reads one GIN-indexed row per case instead of five tables. ``vector`` is
    PostgreSQL's weighted document in the customer's language (null on SQLite).

    ``urgent`` and ``created_at`` copy what the search's order needs of the case (best
    match, then ``URGENT``, then newest), so the matches are sorted and cut to a page
    before they are joined to their cases; ``cases.search.case_search_order_refresh``
    keeps ``urgent`` in step when the status changes (``created_at`` never changes).
    ``casesearch_order_idx`` reads the rows in that order without the rank: a word found
    in more than ``cases.selectors.RANKED_MATCHES`` cases lists them urgent and newest
    first, the page's fifty read from the index's start.
    """

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, primary_key=True, related_name="search_texts"
    )
    config = models.CharField(max_length=16)
    subject = models.TextField(blank=True)
    description = models.TextField(blank=True)
    notes = models.TextField(blank=True)  # internal notes and time-entry notes
    emails = models.TextField(blank=True)  # subjects and texts, incoming and outgoing
    vector = SearchVectorField(null=True)
    urgent = models.BooleanField(default=False, db_default=False)  # the case's URGENT
    created_at = models.DateTimeField()  # the case's

    class Meta:
        indexes = [
            GinIndex(fields=["vector"], name="casesearch_vector_idx"),
            models.Index(
                F("urgent").desc(),
                F("created_at").desc(),
                F("case").desc(),
                name="casesearch_order_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"C-{self.case_id}"


class CaseEventKind(models.TextChoices):
    STATUS = "status", _("Status changed")
    ASSIGNED = "assigned", _("Assigned")
    VERIFIED_BUG = "verified_bug", _("Verified software error")
    FOLLOW_UP = "follow_up", _("Followed up by a new case")


class CaseEvent(models.Model):
    """Who changed what on a case and when: for the case's timeline."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="events", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=CaseEventKind.choices)
    old = models.CharField(_("before"), max_length=200, blank=True)
    new = models.CharField(_("after"), max_length=200, blank=True)
    by = _staff(_("by"))
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="caseevent_case_idx")]

    def __str__(self) -> str:
        return f"{self.case.reference} {self.kind}"
