"""Q3 Software as the creditor of its invoices, with the checks of its UID and IBAN."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from stdnum import iban
from stdnum.ch import uid


def validate_uid(value: str) -> None:
    """A Swiss enterprise identification number (UID), e.g. CHE-123.456.788."""
    if not uid.is_valid(value):
        raise ValidationError(
            _("Enter a valid Swiss UID, for example CHE-123.456.788 (the check digit is wrong?).")
        )


def validate_swiss_iban(value: str) -> None:
    """An IBAN or QR-IBAN of a Swiss or Liechtenstein account (the QR-bill accepts no other)."""
    compact = iban.compact(value)
    if not iban.is_valid(compact):
        raise ValidationError(_("Enter a valid IBAN, for example CH93 0076 2011 6238 5295 7."))
    if compact[:2] not in {"CH", "LI"}:
        raise ValidationError(_("The QR-bill needs an account in Switzerland or Liechtenstein."))


class Company(models.Model):
    """Q3 Software as the creditor of its invoices: one row, edited in the admin."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    legal_name = models.CharField(_("legal name"), max_length=70)
    street = models.CharField(_("street"), max_length=70)
    house_number = models.CharField(_("house number"), max_length=16, blank=True)
    postcode = models.CharField(
        _("postcode"),
        max_length=4,
        validators=[RegexValidator(r"^[0-9]{4}$", _("A Swiss postcode has four digits."))],
    )
    city = models.CharField(_("city"), max_length=35)
    country = models.CharField(
        _("country"), max_length=2, default="CH", choices=[("CH", "CH"), ("LI", "LI")]
    )
    uid = models.CharField(
        _("UID / VAT number"),
        max_length=20,
        validators=[validate_uid],
        help_text=_("Shown on invoices as CHE-123.456.788 MWST."),
    )
    iban = models.CharField(
        _("IBAN or QR-IBAN"),
        max_length=34,
        validators=[validate_swiss_iban],
        help_text=_(
            "With a QR-IBAN invoices carry a QR reference, otherwise a creditor reference."
        ),
    )
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    footer = models.TextField(_("invoice footer"), blank=True)
    payment_term_days = models.PositiveSmallIntegerField(
        _("payment term (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("company (creditor)")
        verbose_name_plural = _("company (creditor)")
        constraints = [
            models.CheckConstraint(condition=models.Q(singleton=True), name="company_single_row")
        ]

    def __str__(self) -> str:
        return self.legal_name

    def clean(self) -> None:
        # Store both numbers in their standard writing.
        if self.uid and uid.is_valid(self.uid):
            self.uid = uid.format(self.uid)
        if self.iban and iban.is_valid(self.iban):
            self.iban = iban.format(self.iban)

    @property
    def vat_number(self) -> str:
        """The UID as a VAT number: CHE-123.456.788 MWST."""
        return f"{self.uid} MWST"

    @property
    def is_qr_iban(self) -> bool:
        """QR-IBANs have an institution id (IID) between 30000 and 31999."""
        iid = int(iban.compact(self.iban)[4:9])
        return 30000 <= iid <= 31999
