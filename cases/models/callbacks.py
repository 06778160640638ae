"""Callbacks (R11): the calls the support team owes a customer, the windows in which the
customer can be reached, and the attempts to reach them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from ._common import _staff
from .cases import Case


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
