"""Customers, their licences and rental periods, and their subscriptions.

Rules that concern one row live in ``clean()`` and database constraints; rules that need
other rows or other apps (overlaps under a lock, Support+ capacity) live in the services.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from .hooks import check_credit_change


def search_key(text: str) -> str:
    """Text as the lookup compares it: lower case, without accents (Müller → muller)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


class NameKeyed(models.Model):
    """Keeps ``name_key``, the name as the caller lookup compares it (see search_key)."""

    name_key = models.CharField(max_length=140, blank=True, editable=False, db_index=True)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.name_key = search_key(self.name)
        if kwargs.get("update_fields") is not None and "name" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_key"}
        super().save(*args, **kwargs)


class Language(models.TextChoices):
    FR = "fr", _("French")
    DE = "de", _("German")
    EN = "en", _("English")


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

customer_number_validator = RegexValidator(
    r"^[1-9][0-9]{3,9}$", _("A customer number has 4 to 10 digits and does not start with 0.")
)
country_validator = RegexValidator(
    r"^[A-Z]{2}$", _("Enter the country as a two-letter ISO code, for example CH.")
)


class Customer(NameKeyed):
    number = models.CharField(
        _("customer number"), max_length=10, unique=True, validators=[customer_number_validator]
    )
    name = models.CharField(_("name"), max_length=140)
    street = models.CharField(_("street"), max_length=70, blank=True)
    house_number = models.CharField(_("house number"), max_length=16, blank=True)
    postcode = models.CharField(_("postcode"), max_length=16, blank=True)
    city = models.CharField(_("city"), max_length=35, blank=True)
    country = models.CharField(
        _("country"), max_length=2, default="CH", validators=[country_validator]
    )
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.FR
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = PhoneNumberField(_("phone"), blank=True, region="CH")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name", "number"]
        indexes = [
            models.Index(fields=["name"], name="customer_name_idx"),
            models.Index(fields=["phone"], name="customer_phone_idx"),
            models.Index(fields=["email"], name="customer_email_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def clean(self) -> None:
        # Swiss and Liechtenstein postcodes are four digits (the QR-bill needs them right).
        if (
            self.country in {"CH", "LI"}
            and self.postcode
            and not re.fullmatch(r"[0-9]{4}", self.postcode)
        ):
            raise ValidationError(
                {"postcode": _("A Swiss postcode has four digits, for example 3011.")}
            )


class Contact(NameKeyed):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("customer")
    )
    name = models.CharField(_("name"), max_length=140)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = PhoneNumberField(_("phone"), blank=True, region="CH")

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["phone"], name="contact_phone_idx"),
            models.Index(fields=["email"], name="contact_email_idx"),
            models.Index(fields=["name"], name="contact_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name


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
    modules = models.ManyToManyField(Module, related_name="licences", verbose_name=_("modules"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[modules])

    class Meta:
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        ordering = ["customer", "id"]

    def __str__(self) -> str:
        return f"{self.customer.number} {self.get_variant_display()} ({self.get_kind_display()})"

    def clean(self) -> None:
        if (
            self.pk
            and self.kind == LicenceKind.PURCHASE
            and RentalPeriod.objects.filter(licence_id=self.pk).exists()
        ):
            raise ValidationError(
                {"kind": _("This licence has rental periods; it cannot become a purchase licence.")}
            )
        if self.pk:
            # An admin form sets pending_main_modules: the modules it is about to save.
            check_credit_change(
                licence=self, main_module_count=getattr(self, "pending_main_modules", None)
            )


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
        try:
            licence = self.licence  # also the unsaved licence of an admin "add" page
        except Licence.DoesNotExist:
            return
        if licence.kind != LicenceKind.RENTAL:
            raise ValidationError(
                _("Only a rental licence has rental periods; this is a purchase licence.")
            )
        if self.pk and self.start and self.end and self.annual_rent is not None:
            check_credit_change(period=self)
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


class HalfFareSubscription(models.Model):
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="half_fare_subscriptions",
        verbose_name=_("customer"),
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("half-fare subscription")
        verbose_name_plural = _("half-fare subscriptions")
        ordering = ["customer", "start"]
        indexes = [models.Index(fields=["customer", "start", "end"], name="halffare_span_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")),
                name="halffare_end_after_start",
                violation_error_message=_("The end of a subscription cannot be before its start."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer.number} {self.start:%d.%m.%Y}–{self.end:%d.%m.%Y}"

    def clean(self) -> None:
        if self.customer_id and self.start and self.end and self.end >= self.start:
            clash = (
                HalfFareSubscription.objects.filter(
                    customer_id=self.customer_id, start__lte=self.end, end__gte=self.start
                )
                .exclude(pk=self.pk)
                .first()
            )
            if clash is not None:
                raise ValidationError(
                    _(
                        "The customer already has a half-fare subscription from %(start)s to"
                        " %(end)s; subscriptions cannot overlap."
                    )
                    % {"start": f"{clash.start:%d.%m.%Y}", "end": f"{clash.end:%d.%m.%Y}"}
                )


class SupportPlusSubscription(models.Model):
    """A yearly Support+ subscription (R7); the first registered person is included."""

    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="support_plus_subscriptions",
        verbose_name=_("customer"),
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    registered = models.ManyToManyField(
        Contact,
        through="SupportPlusRegistration",
        related_name="support_plus_subscriptions",
        verbose_name=_("registered persons"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Support+ subscription")
        verbose_name_plural = _("Support+ subscriptions")
        ordering = ["customer", "start"]
        indexes = [
            models.Index(fields=["customer", "start", "end"], name="supportplus_span_idx"),
            models.Index(fields=["start", "end"], name="supportplus_capacity_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")),
                name="supportplus_end_after_start",
                violation_error_message=_("The end of a subscription cannot be before its start."),
            ),
        ]

    def __str__(self) -> str:
        return f"Support+ {self.customer.number} {self.start:%d.%m.%Y}–{self.end:%d.%m.%Y}"


class SupportPlusRegistration(models.Model):
    """A contact registered for Support+; position 1 is included, further ones are billed."""

    subscription = models.ForeignKey(
        SupportPlusSubscription,
        on_delete=models.CASCADE,
        related_name="registrations",
        verbose_name=_("subscription"),
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.PROTECT,
        related_name="support_plus_registrations",
        verbose_name=_("contact"),
    )
    position = models.PositiveSmallIntegerField(_("position"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("registered person")
        verbose_name_plural = _("registered persons")
        ordering = ["subscription", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "contact"], name="supportplus_contact_once"
            ),
            models.UniqueConstraint(
                fields=["subscription", "position"], name="supportplus_position_once"
            ),
            models.CheckConstraint(condition=Q(position__gte=1), name="supportplus_position_gte_1"),
        ]

    def __str__(self) -> str:
        return str(self.contact)

    @property
    def is_additional(self) -> bool:
        return self.position > 1
