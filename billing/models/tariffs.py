"""Tariffs: every number of the support concept, versioned by the day it takes effect.

A :class:`Tariff` holds its credit table (:class:`CreditAllowance`, R3) and its
activities with their rates and what pays for them (:class:`ActivityRate`, R4).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from customers.models import LicenceVariant

VERIFIED_ERROR = "verified_bug"
"""The activity that work on a verified software error is posted as (R9).

Every tariff has it, free; the desk's support answers and data checks on a case marked as
a verified error (the activities with ``free_on_verified_error``) are charged as it.
"""


def _chf(verbose_name, **kwargs) -> models.DecimalField:
    return models.DecimalField(
        verbose_name,
        max_digits=9,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"), _("Amounts cannot be negative."))],
        **kwargs,
    )


class Tariff(models.Model):
    """The tariff in force from ``valid_from`` until the next tariff starts."""

    valid_from = models.DateField(_("valid from"), unique=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    unit_minutes = models.PositiveSmallIntegerField(
        _("minimum unit (minutes)"),
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Charged minutes of a case are rounded up to a multiple of this unit."),
    )
    backdating_days = models.PositiveSmallIntegerField(
        _("late recording (days)"),
        default=7,
        validators=[MaxValueValidator(31)],
        help_text=_(
            "How many days back the desk may date the opening of a case for a call recorded"
            " late (never into a month already invoiced). Work is dated from the opening of"
            " its case to today."
        ),
    )
    reopen_days = models.PositiveSmallIntegerField(
        _("replies reopen a closed case for (days)"),
        default=14,
        validators=[MaxValueValidator(365)],
        help_text=_(
            "An e-mail reply to a case closed at most this many days ago reopens it; a later"
            " reply opens a new case that follows the old one."
        ),
    )
    callback_expiry_days = models.PositiveSmallIntegerField(
        _("unanswered callbacks leave the queue after (days)"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_(
            "A callback still open this many days after its last window leaves the queue"
            " and the navigation count; it stays in the list of all callbacks as missed."
        ),
    )
    acknowledge_emails = models.BooleanField(
        _("acknowledge incoming e-mails"),
        default=False,
        help_text=_(
            "Answer each new e-mail case automatically with its reference and the current"
            " support credit."
        ),
    )
    credit_threshold = _chf(
        _("credit threshold (CHF annual rent)"),
        help_text=_("A rental period grants credit when its annual rent is at least this."),
    )

    support_plus_price = _chf(_("Support+ per year (CHF)"))
    support_plus_additional_person_price = _chf(_("Support+ additional person per year (CHF)"))
    support_plus_extra_minutes = models.PositiveIntegerField(_("Support+ extra credit (minutes)"))
    support_plus_capacity = models.PositiveIntegerField(
        _("Support+ capacity (subscriptions)"),
        help_text=_("How many Support+ subscriptions may run at the same time."),
    )
    half_fare_price = _chf(
        _("half-fare subscription per year (CHF)"),
        null=True,
        blank=True,
        help_text=_("Leave empty when the half-fare subscription is not invoiced."),
    )
    vat_rate = models.DecimalField(
        _("VAT rate (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[
            MinValueValidator(Decimal("0"), _("Amounts cannot be negative.")),
            MaxValueValidator(Decimal("100")),
        ],
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return _("Tariff from %(day)s") % {"day": f"{self.valid_from:%d.%m.%Y}"}

    def activity(self, code: str) -> ActivityRate:
        """This tariff's row for the activity ``code`` (R4), or a ValidationError naming it.

        Reads the prefetched rows when there are (``tariff_in_force`` prefetches them).
        """
        for row in self.activities.all():
            if row.code == code:
                return row
        raise ValidationError(
            _("Unknown activity “%(activity)s” in the tariff from %(day)s.")
            % {"activity": code, "day": f"{self.valid_from:%d.%m.%Y}"}
        )

    def hourly_rate(self, activity: str, *, half_fare: bool = False) -> Decimal:
        """The hourly rate of ``activity``, at its half-fare rate when ``half_fare`` and the
        activity has one (R6)."""
        return self.activity(activity).rate(half_fare=half_fare)

    def credit_minutes(self, variant: str, main_module_count: int) -> int:
        """Free minutes per rental period (R3): variant × single/several main modules."""
        several = main_module_count >= 2
        for cell in self.credit_allowances.all():
            if cell.variant == variant and cell.several_main_modules == several:
                return cell.minutes
        raise ValidationError(
            _("The tariff from %(day)s has no credit for this licence; complete its table.")
            % {"day": f"{self.valid_from:%d.%m.%Y}"}
        )


class CreditAllowance(models.Model):
    """One cell of the credit table of R3."""

    tariff = models.ForeignKey(
        Tariff, on_delete=models.CASCADE, related_name="credit_allowances", verbose_name=_("tariff")
    )
    variant = models.CharField(_("licence variant"), max_length=10, choices=LicenceVariant.choices)
    several_main_modules = models.BooleanField(
        _("several main modules"),
        help_text=_("Two or more of COFI, payroll, invoicing, creditors."),
    )
    minutes = models.PositiveIntegerField(_("credit minutes per rental period"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("credit allowance")
        verbose_name_plural = _("credit allowances")
        ordering = ["tariff", "variant", "several_main_modules"]
        constraints = [
            models.UniqueConstraint(
                fields=["tariff", "variant", "several_main_modules"],
                name="creditallowance_one_per_cell",
                violation_error_message=_("Each cell of the credit table can be given only once."),
            )
        ]

    def __str__(self) -> str:
        column = _("several main modules") if self.several_main_modules else _("single main module")
        return f"{self.get_variant_display()} / {column}: {self.minutes} min"


class ActivityRate(models.Model):
    """One activity of a tariff (R4): its names, what an hour costs and what pays for it.

    The rules of posting read these rows: the rate (and the half-fare rate, R6), whether
    credit covers it (R8), whether it is free (R9) or free once its case is marked as a
    verified software error, and whether it is accepted only in a licence's first rental
    period. Adding an activity is adding a row to a new tariff.
    """

    tariff = models.ForeignKey(
        Tariff, on_delete=models.CASCADE, related_name="activities", verbose_name=_("tariff")
    )
    code = models.SlugField(
        _("code"),
        max_length=16,
        help_text=_("The key stored with every posting, e.g. “support”; keep it between tariffs."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name_fr = models.CharField(_("name (French)"), max_length=100)
    name_de = models.CharField(_("name (German)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    hourly_rate = _chf(_("per hour (CHF)"))
    half_fare_rate = _chf(
        _("with half-fare, per hour (CHF)"),
        null=True,
        blank=True,
        help_text=_("Leave empty when the half-fare subscription does not lower this rate."),
    )
    licence_credit = models.BooleanField(
        _("covered by licence credit"),
        default=False,
        help_text=_("The credit of the rental periods pays for it, for every caller."),
    )
    support_plus_credit = models.BooleanField(
        _("covered by credit for Support+ persons"),
        default=False,
        help_text=_(
            "Work for a person registered with Support+ is paid from the licence credit and"
            " the Support+ credit."
        ),
    )
    free = models.BooleanField(_("free"), default=False)
    free_on_verified_error = models.BooleanField(
        _("free on a verified software error"),
        default=False,
        help_text=_("On a case marked as a verified software error it is charged as that."),
    )
    first_rental_period_only = models.BooleanField(
        _("only in the first rental period"),
        default=False,
        help_text=_("Accepted only during the first rental period of a licence."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["tariff", "position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["tariff", "code"],
                name="activityrate_one_per_code",
                violation_error_message=_("Each activity can be given only once per tariff."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the language of the page (French when the language has none)."""
        return name_in_language(self.name_fr, self.name_de, self.name_en)

    def rate(self, *, half_fare: bool = False) -> Decimal:
        if self.free:
            return Decimal("0.00")
        if half_fare and self.half_fare_rate is not None:
            return self.half_fare_rate
        return self.hourly_rate

    def has_half_fare(self, *, half_fare: bool) -> bool:
        """Whether a customer with (``half_fare``) or without a half-fare subscription gets
        this activity's half-fare rate."""
        return half_fare and not self.free and self.half_fare_rate is not None

    def credit_sources(self, *, registered: bool) -> list[str]:
        """The kinds of credit that may pay for this work (R8), for a caller who is
        (``registered``) or is not a Support+ person."""
        from .ledger import GrantSource  # the ledger's models refer to Tariff

        if self.free:
            return []
        if registered and self.support_plus_credit:
            return [GrantSource.LICENCE, GrantSource.SUPPORT_PLUS]
        if self.licence_credit:
            return [GrantSource.LICENCE]
        return []

    def clean(self) -> None:
        super().clean()
        if self.code == VERIFIED_ERROR and not self.free:
            raise ValidationError(
                {"free": _("The verified software error is free (the support concept, R9).")}
            )


def name_in_language(fr: str, de: str, en: str) -> str:
    language = (get_language() or "fr")[:2]
    return {"de": de, "en": en}.get(language) or fr
