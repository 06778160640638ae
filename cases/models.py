"""Cases (calls, e-mails, sessions) with their time entries.

Time is charged by billing: each time entry is a usage of the ledger with the case's
reference as ``work_ref``; removing an entry posts the reversal, the entry stays visible.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from billing.models import VERIFIED_ERROR
from customers.models import Language


def _staff(verbose_name) -> models.ForeignKey:
    """A member of the desk who did something; kept as nobody when the user is deleted."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=verbose_name,
    )


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


class TimeEntry(models.Model):
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="time_entries", verbose_name=_("case")
    )
    usage = models.OneToOneField(
        "billing.Usage",
        on_delete=models.PROTECT,
        related_name="time_entry",
        verbose_name=_("usage"),
    )
    reversal = models.OneToOneField(
        "billing.Usage",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reversal"),
    )
    activity = models.CharField(_("activity"), max_length=16)
    minutes = models.PositiveIntegerField(_("minutes"))
    performed_on = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = _staff(_("logged by"))
    created_at = models.DateTimeField(_("logged"), auto_now_add=True)
    removed_by = _staff(_("removed by"))

    class Meta:
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        ordering = ["performed_on", "id"]
        indexes = [models.Index(fields=["case", "performed_on"], name="timeentry_case_idx")]

    def __str__(self) -> str:
        return f"{self.case.reference} {self.minutes} min"

    @property
    def is_removed(self) -> bool:
        return self.reversal_id is not None

    @property
    def is_free_as_verified_error(self) -> bool:
        """Posted free because its case is a verified software error (R9), while the desk
        logged it as another activity."""
        return self.usage.activity == VERIFIED_ERROR and self.activity != VERIFIED_ERROR


class CallbackStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Reached")
    CANCELLED = "cancelled", _("Cancelled")


class AttemptOutcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")
    VOICEMAIL = "voicemail", _("Voicemail")
    WRONG_NUMBER = "wrong_number", _("Wrong number")


class Callback(models.Model):
    """A call the support team owes a customer, in the windows the customer gave (R11).

    An open callback whose windows have all passed is *missed* (see ``cases.selectors``);
    that is derived from ``last_window_end``, so no job has to mark it.
    """

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="callbacks", verbose_name=_("case")
    )
    phone = PhoneNumberField(_("number to call"), region="CH")
    reason = models.CharField(_("reason"), max_length=200)
    support_plus = models.BooleanField(_("Support+"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=CallbackStatus.choices, default=CallbackStatus.OPEN
    )
    first_window_start = models.DateTimeField(_("first window"))
    # The end of the earliest window: reached after it, the callback missed its first window
    # (the service level of the dashboard); past it without an attempt, it is overdue.
    first_window_end = models.DateTimeField(_("first window ends"))
    last_window_end = models.DateTimeField(_("last window ends"))
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="claimed_callbacks",
        verbose_name=_("claimed by"),
    )
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    first_attempt_at = models.DateTimeField(_("first attempt"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    cancel_reason = models.CharField(_("why cancelled"), max_length=200, blank=True)
    cancelled_by = _staff(_("cancelled by"))
    created_by = _staff(_("requested by"))
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        ordering = ["-support_plus", "first_window_start"]
        indexes = [
            models.Index(
                fields=["status", "-support_plus", "first_window_start"], name="callback_queue_idx"
            ),
            models.Index(fields=["status", "last_window_end"], name="callback_missed_idx"),
            models.Index(fields=["created_at"], name="callback_created_idx"),
            models.Index(fields=["first_window_start"], name="callback_first_window_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case.reference} {self.phone}"

    @property
    def is_open(self) -> bool:
        """Still owed: in the queue (claimed or not), or missed but not closed yet."""
        return self.status == CallbackStatus.OPEN

    @property
    def is_done(self) -> bool:
        """Closed because the customer was reached."""
        return self.status == CallbackStatus.DONE


class CallbackWindow(models.Model):
    callback = models.ForeignKey(
        Callback, on_delete=models.CASCADE, related_name="windows", verbose_name=_("callback")
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))

    class Meta:
        verbose_name = _("callback window")
        verbose_name_plural = _("callback windows")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="window_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%d.%m.%Y %H:%M}–{self.ends_at:%H:%M}"


class CallbackAttempt(models.Model):
    callback = models.ForeignKey(
        Callback, on_delete=models.CASCADE, related_name="attempts", verbose_name=_("callback")
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=AttemptOutcome.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    by = _staff(_("by"))
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("callback attempt")
        verbose_name_plural = _("callback attempts")
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} {self.at:%d.%m.%Y %H:%M}"


class EmailStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class SupportEmail(models.Model):
    """A support e-mail to the customer, sent by the background worker; kept whatever happens."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="emails", verbose_name=_("case")
    )
    to = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=2)
    status = models.CharField(
        _("status"), max_length=8, choices=EmailStatus.choices, default=EmailStatus.QUEUED
    )
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_by = _staff(_("written by"))
    created_at = models.DateTimeField(_("written"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("handed to the mail server"), null=True, blank=True)
    # Threading (R15): the customer's client answers with In-Reply-To/References naming it.
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    in_reply_to = models.CharField(_("in reply to"), max_length=255, blank=True)
    references = models.TextField(_("references"), blank=True)
    automatic = models.BooleanField(
        _("automatic"),
        default=False,
        help_text=_("Sent by the desk on its own: an acknowledgement or an automatic answer."),
    )

    class Meta:
        verbose_name = _("support e-mail")
        verbose_name_plural = _("support e-mails")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="email_status_idx"),
            models.Index(fields=["message_id"], name="email_message_id_idx"),
            models.Index(fields=["to", "automatic", "created_at"], name="email_automatic_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case.reference} → {self.to}: {self.subject}"

    # A worker that died while sending (or whose task was lost before it ran) leaves the
    # e-mail "sending" or "queued"; after this long it may be sent again (it may then
    # arrive twice, which beats never).
    STALE_AFTER = timedelta(minutes=15)

    @property
    def is_sent(self) -> bool:
        """Handed over to the mail server, which accepted it."""
        return self.status == EmailStatus.SENT

    @property
    def is_sending(self) -> bool:
        """Claimed by the worker, which is talking to the mail server (or died doing so)."""
        return self.status == EmailStatus.SENDING

    @property
    def is_failed(self) -> bool:
        """The mail server refused it or could not be reached (``error`` says which)."""
        return self.status == EmailStatus.FAILED

    @property
    def retryable(self) -> bool:
        """Failed, or stuck in the worker for longer than :attr:`STALE_AFTER`."""
        if self.status == EmailStatus.FAILED:
            return True
        since = self.claimed_at if self.status == EmailStatus.SENDING else self.created_at
        return (
            self.status in (EmailStatus.SENDING, EmailStatus.QUEUED)
            and since is not None
            and since < timezone.now() - self.STALE_AFTER
        )


class InboundStatus(models.TextChoices):
    FILED = "filed", _("On a case")
    INBOX = "inbox", _("In the inbox")
    UNREADABLE = "unreadable", _("Unreadable")


def raw_message_path(message: InboundEmail, filename: str) -> str:
    return f"mail/raw/{timezone.now():%Y/%m}/{filename}"


def attachment_path(attachment: EmailAttachment, filename: str) -> str:
    return f"mail/attachments/{timezone.now():%Y/%m}/{filename}"


class InboundEmail(models.Model):
    """A message received at the support address (R15), kept raw whatever became of it.

    Filed on a case (or a rental-switch lead), waiting in the inbox for the desk to assign
    (unknown sender), or unreadable (malformed: shown raw, never lost).
    """

    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=InboundStatus.choices)
    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inbound_emails",
        verbose_name=_("case"),
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inbound_emails",
        verbose_name=_("customer"),
    )
    contact = models.ForeignKey(
        "customers.Contact",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inbound_emails",
        verbose_name=_("contact"),
    )
    from_address = models.CharField(_("from"), max_length=254, blank=True)
    from_name = models.CharField(_("sender"), max_length=140, blank=True)
    to = models.CharField(_("to"), max_length=998, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    text = models.TextField(_("text"), blank=True)
    html = models.TextField(_("HTML (sanitised)"), blank=True)
    in_reply_to = models.CharField(_("in reply to"), max_length=998, blank=True)
    references = models.TextField(_("references"), blank=True)
    automatic = models.BooleanField(
        _("automatic"),
        default=False,
        help_text=_("An auto-reply, a bounce or list mail: never answered automatically."),
    )
    raw = models.FileField(_("raw message"), upload_to=raw_message_path)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    note = models.CharField(_("note"), max_length=200, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    assigned_by = _staff(_("assigned by"))

    class Meta:
        verbose_name = _("incoming e-mail")
        verbose_name_plural = _("incoming e-mails")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-received_at"], name="inbound_status_idx"),
            models.Index(fields=["case", "received_at"], name="inbound_case_idx"),
            models.Index(fields=["customer", "-received_at"], name="inbound_customer_idx"),
            models.Index(fields=["from_address", "received_at"], name="inbound_sender_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="filed") | models.Q(case__isnull=False),
                name="inbound_filed_has_case",
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_address}: {self.subject}"

    @property
    def is_filed(self) -> bool:
        """On a case (or a lead): the desk answers it there, not from the inbox."""
        return self.status == InboundStatus.FILED

    @property
    def is_unreadable(self) -> bool:
        """Malformed: kept raw for the desk to download, never shown as text."""
        return self.status == InboundStatus.UNREADABLE


class EmailAttachment(models.Model):
    """A file that came with an incoming e-mail (or went with an outgoing one); served only
    to the desk, as a download."""

    inbound = models.ForeignKey(
        InboundEmail,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("incoming e-mail"),
    )
    outgoing = models.ForeignKey(
        SupportEmail,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("support e-mail"),
    )
    file = models.FileField(_("file"), upload_to=attachment_path)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=127)
    size = models.PositiveIntegerField(_("size (bytes)"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(inbound__isnull=False, outgoing__isnull=True)
                | models.Q(inbound__isnull=True, outgoing__isnull=False),
                name="attachment_one_message",
            )
        ]

    def __str__(self) -> str:
        return self.filename


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

    class Meta:
        indexes = [GinIndex(fields=["vector"], name="casesearch_vector_idx")]

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


class CannedReply(models.Model):
    """A reply text the desk inserts into an e-mail; ``{customer}``, ``{contact}`` and
    ``{credit}`` are replaced when inserted."""

    title = models.CharField(_("title"), max_length=80)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    body = models.TextField(_("text"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["language", "title"]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"
