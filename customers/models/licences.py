"""Modules, licences (kind and variant) and the rental periods of rental licences.

Changing or deleting a licence or a rental period is checked against the Support+ rule
(R7) in ``support_plus``, which reads these models in turn: the models import it when
they call it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .customers import Customer


class LicenceKind(models.TextChoices):
    RENTAL = "rental", _("Rental")
    PURCHASE = "purchase", _("Purchase")


class LicenceVariant(models.TextChoices):
    STANDARD = "standard", _("Standard")
    ADVANCED = "advanced", _("Advanced")
    PROFI = "profi", _("Profi")
    PREMIUM = "premium", _("Premium")


# Variants that may take a Support+ subscription (R7).
SUPPORT_PLUS_VARIANTS = frozenset({LicenceVariant.PROFI, LicenceVariant.PREMIUM})


class Module(models.Model):
    code = models.CharField(
        _("code"),
        max_length=10,
        unique=True,
        validators=[RegexValidator(r"^[A-Z][A-Z0-9]*$", _("Use capital letters and digits."))],
    )
    name = models.CharField(_("name"), max_length=80)
    is_main = models.BooleanField(
        _("main module"),
        default=False,
        help_text=_("Main modules (COFI, payroll, invoicing, creditors) decide the credit column."),
    )

    class Meta:
        verbose_name = _("module")
        verbose_name_plural = _("modules")
        ordering = ["-is_main", "code"]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class Licence(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="licences", verbose_name=_("customer")
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=LicenceKind.choices, default=LicenceKind.RENTAL
    )
    variant = models.CharField(_("variant"), max_length=10, choices=LicenceVariant.choices)
    # The ERP's key of the licence (the ERP import finds it by this number); none for a
    # licence entered at the desk only.
    number = models.CharField(
        _("licence number"),
        max_length=20,
        unique=True,
        null=True,
        blank=True,
        help_text=_("The licence's number in the ERP; empty for a licence entered here."),
    )
    modules = models.ManyToManyField(Module, related_name="licences", verbose_name=_("modules"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[modules])

    class Meta:
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        ordering = ["customer", "id"]
        # The customer list filters by the variant of the current licence.
        indexes = [models.Index(fields=["variant", "kind"], name="licence_variant_idx")]

    def __str__(self) -> str:
        return f"{self.customer.number} {self.get_variant_display()} ({self.get_kind_display()})"

    def clean(self) -> None:
        from .support_plus import check_support_plus_kept  # R7 (it imports this module)

        if (
            self.pk
            and self.kind == LicenceKind.PURCHASE
            and RentalPeriod.objects.filter(licence_id=self.pk).exists()
        ):
            raise ValidationError(
                {"kind": _("This licence has rental periods; it cannot become a purchase licence.")}
            )
        if self.pk and self.kind and self.variant:
            check_support_plus_kept(licence=self)


class SupportPlusGuardedQuerySet(models.QuerySet):
    """Deleting rental periods or half-fare subscriptions in bulk keeps Support+ whole (R7)."""

    guarded_as = ""  # the keyword of check_support_plus_kept() for deleted rows

    def delete(self):
        from .support_plus import check_support_plus_kept  # R7 (it imports this module)

        check_support_plus_kept(**{self.guarded_as: list(self)})
        return super().delete()


class RentalPeriodQuerySet(SupportPlusGuardedQuerySet):
    guarded_as = "deleted_periods"


class RentalPeriod(models.Model):
    """One year (or other span) of a rental licence; start and end are both inclusive."""

    licence = models.ForeignKey(
        Licence, on_delete=models.PROTECT, related_name="rental_periods", verbose_name=_("licence")
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    annual_rent = models.DecimalField(
        _("annual rent (CHF)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(0, _("The annual rent cannot be negative."))],
    )
    history = HistoricalRecords()

    objects = RentalPeriodQuerySet.as_manager()

    class Meta:
        verbose_name = _("rental period")
        verbose_name_plural = _("rental periods")
        ordering = ["licence", "start"]
        indexes = [models.Index(fields=["licence", "start", "end"], name="rentalperiod_span_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")),
                name="rentalperiod_end_after_start",
                violation_error_message=_("The end of a period cannot be before its start."),
            ),
            models.CheckConstraint(
                condition=Q(annual_rent__gte=0),
                name="rentalperiod_rent_not_negative",
                violation_error_message=_("The annual rent cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start:%d.%m.%Y}–{self.end:%d.%m.%Y}"

    def clean(self) -> None:
        from .support_plus import check_support_plus_kept  # R7 (it imports this module)

        try:
            licence = self.licence  # also the unsaved licence of an admin "add" page
        except Licence.DoesNotExist:
            return
        if licence.kind != LicenceKind.RENTAL:
            raise ValidationError(
                _("Only a rental licence has rental periods; this is a purchase licence.")
            )
        if self.pk and self.start and self.end and self.end >= self.start:
            check_support_plus_kept(periods=[self])
        if licence.pk and self.start and self.end and self.end >= self.start:
            overlapping = (
                RentalPeriod.objects.filter(
                    licence_id=licence.pk, start__lte=self.end, end__gte=self.start
                )
                .exclude(pk=self.pk)
                .order_by("start")
                .first()
            )
            if overlapping is not None:
                raise ValidationError(
                    _(
                        "This period overlaps the rental period %(other)s of the same licence;"
                        " the periods of one licence cannot overlap."
                    )
                    % {"other": overlapping}
                )

    def delete(self, *args, **kwargs):
        from .support_plus import check_support_plus_kept  # R7 (it imports this module)

        if self.pk is not None:
            check_support_plus_kept(deleted_periods=[self])
        return super().delete(*args, **kwargs)
