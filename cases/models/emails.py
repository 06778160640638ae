"""E-mail (R15): support e-mails sent to customers, messages received at the support
address (kept raw), their attachments, and the canned replies the desk inserts."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Language

from ._common import _staff
from .cases import Case


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
