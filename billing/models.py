"""Tariffs: every number of the support concept, versioned by the day it takes effect."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from customers.models import LicenceVariant


class Activity(models.TextChoices):
    """What a piece of support work was (R4)."""

    SUPPORT = "support", _("Support (phone or e-mail, no data check)")
    DATA_CHECK = "data_check", _("Data check")
    TRAINING = "training", _("Training / remote session")
    FORMS = "forms", _("Form adaptations")
    PROGRAMMING = "programming", _("Individual programming")
    FIRST_INSTALL = "first_install", _("First installation (free)")
    VERIFIED_BUG = "verified_bug", _("Verified software error (free)")


FREE_ACTIVITIES = frozenset({Activity.FIRST_INSTALL, Activity.VERIFIED_BUG})


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

    rate_support = _chf(_("support, per hour (CHF)"))
    half_fare_rate_support = _chf(_("support with half-fare, per hour (CHF)"))
    rate_data_check = _chf(_("data check, per hour (CHF)"))
    rate_training = _chf(_("training / remote session, per hour (CHF)"))
    rate_forms = _chf(_("form adaptations, per hour (CHF)"))
    rate_programming = _chf(_("individual programming, per hour (CHF)"))

    unit_minutes = models.PositiveSmallIntegerField(
        _("minimum unit (minutes)"),
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Charged minutes of a case are rounded up to a multiple of this unit."),
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

    def hourly_rate(self, activity: str, *, half_fare: bool = False) -> Decimal:
        """The hourly rate of ``activity``; half-fare lowers only ``support`` (R6)."""
        if activity in FREE_ACTIVITIES:
            return Decimal("0.00")
        if activity == Activity.SUPPORT:
            return self.half_fare_rate_support if half_fare else self.rate_support
        rates = {
            Activity.DATA_CHECK: self.rate_data_check,
            Activity.TRAINING: self.rate_training,
            Activity.FORMS: self.rate_forms,
            Activity.PROGRAMMING: self.rate_programming,
        }
        try:
            return rates[Activity(activity)]
        except ValueError as exc:
            raise ValueError(f"unknown activity {activity!r}") from exc

    def credit_minutes(self, variant: str, main_module_count: int) -> int:
        """Free minutes per rental period (R3): variant × single/several main modules."""
        several = main_module_count >= 2
        for cell in self.credit_allowances.all():
            if cell.variant == variant and cell.several_main_modules == several:
                return cell.minutes
        raise LookupError(f"tariff {self.pk} has no credit cell for {variant}/{several}")


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
