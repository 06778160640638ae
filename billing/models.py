"""Tariffs: every number of the support concept, versioned by the day it takes effect."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from stdnum import iban
from stdnum.ch import uid

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


class GrantSource(models.TextChoices):
    LICENCE = "licence", _("Rental licence")
    SUPPORT_PLUS = "support_plus", _("Support+")


class CreditGrant(models.Model):
    """Free support minutes (R3, R7), valid for exactly one rental year or Support+ year.

    Derived from the customer model by ``billing.services.grant_sync_*``; what has been
    drawn from it is in :class:`UsageDraw`.
    """

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="credit_grants",
        verbose_name=_("customer"),
    )
    source = models.CharField(_("source"), max_length=12, choices=GrantSource.choices)
    # One grant per rental year of the period (R3). Deleting the period deletes its
    # grants, unless credit was drawn (UsageDraw protects).
    rental_period = models.ForeignKey(
        "customers.RentalPeriod",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="credit_grants",
        verbose_name=_("rental period"),
    )
    support_plus = models.OneToOneField(
        "customers.SupportPlusSubscription",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="credit_grant",
        verbose_name=_("Support+ subscription"),
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid until"))
    minutes = models.PositiveIntegerField(_("granted minutes"))
    tariff = models.ForeignKey(
        Tariff, on_delete=models.PROTECT, related_name="+", verbose_name=_("tariff")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("credit grant")
        verbose_name_plural = _("credit grants")
        ordering = ["customer", "valid_to", "source"]
        indexes = [
            models.Index(fields=["customer", "valid_from", "valid_to"], name="grant_validity_idx"),
            models.Index(fields=["valid_to", "valid_from"], name="grant_valid_to_idx"),
            models.Index(fields=["source", "valid_to"], name="grant_source_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(source=GrantSource.LICENCE, rental_period__isnull=False)
                | models.Q(source=GrantSource.SUPPORT_PLUS, support_plus__isnull=False),
                name="grant_has_its_source",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__gte=models.F("valid_from")),
                name="grant_valid_to_after_from",
            ),
            models.UniqueConstraint(
                fields=["rental_period", "valid_from"],
                condition=models.Q(rental_period__isnull=False),
                name="grant_one_per_rental_year",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_source_display()} {self.valid_from:%d.%m.%Y}–{self.valid_to:%d.%m.%Y}:"
            f" {self.minutes} min"
        )


class LedgerQuerySet(models.QuerySet):
    """Rows of the append-only ledger: never updated, never deleted in bulk either.

    On PostgreSQL triggers refuse the same writes in raw SQL (migration billing 0012).
    """

    def update(self, **kwargs):
        raise ValidationError(_("A usage cannot be changed; post a reversal instead."))

    def delete(self):
        raise ValidationError(_("The usage ledger is append-only; post a reversal instead."))


class UsageQuerySet(LedgerQuerySet):
    def mark_invoiced(self, at) -> int:
        """Set or clear when the usages were put on an issued invoice (issue, cancel).

        The only column of a usage that changes after it is posted.
        """
        return super(LedgerQuerySet, self).update(invoiced_at=at)


class Usage(models.Model):
    """One posting of the append-only usage ledger (never updated, never deleted).

    ``charged_minutes`` is what this posting adds to the charged minutes of its case and
    activity (R5 rounding on the case total); it splits into credit, billable and free
    minutes. A reversal is a posting with negative numbers pointing at the original.
    """

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="usages",
        verbose_name=_("customer"),
    )
    activity = models.CharField(_("activity"), max_length=16)
    work_ref = models.CharField(_("work reference"), max_length=64)
    performed_on = models.DateField(_("performed on"))
    logged_minutes = models.IntegerField(_("logged minutes"))
    charged_minutes = models.IntegerField(_("charged minutes"))
    credit_minutes = models.IntegerField(_("minutes from credit"))
    billable_minutes = models.IntegerField(_("billable minutes"))
    free_minutes = models.IntegerField(_("free minutes"))
    rate = models.DecimalField(_("hourly rate (CHF)"), max_digits=7, decimal_places=2)
    amount = models.DecimalField(_("amount (CHF)"), max_digits=10, decimal_places=2)
    half_fare = models.BooleanField(_("half-fare"), default=False)
    tariff = models.ForeignKey(
        Tariff, on_delete=models.PROTECT, related_name="+", verbose_name=_("tariff")
    )
    contact = models.ForeignKey(
        "customers.Contact",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="usages",
        verbose_name=_("contact"),
    )
    label = models.CharField(_("label"), max_length=200, blank=True)
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("performed by"),
    )
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversal",
        verbose_name=_("reverses"),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    invoiced_at = models.DateTimeField(
        _("invoiced"),
        null=True,
        blank=True,
        help_text=_("Set when the usage is copied onto an issued invoice."),
    )
    created_at = models.DateTimeField(_("posted"), auto_now_add=True)

    objects = UsageQuerySet.as_manager()

    class Meta:
        verbose_name = _("usage")
        verbose_name_plural = _("usages")
        ordering = ["-performed_on", "-id"]
        indexes = [
            models.Index(fields=["customer", "performed_on"], name="usage_customer_day_idx"),
            models.Index(fields=["customer", "work_ref", "activity"], name="usage_case_idx"),
            models.Index(fields=["performed_on", "activity"], name="usage_day_activity_idx"),
            models.Index(fields=["work_ref"], name="usage_work_ref_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    charged_minutes=models.F("credit_minutes")
                    + models.F("billable_minutes")
                    + models.F("free_minutes")
                ),
                name="usage_charged_is_credit_billable_free",
            ),
            models.CheckConstraint(
                condition=models.Q(logged_minutes__gte=-720, logged_minutes__lte=720)
                & ~models.Q(logged_minutes=0),
                name="usage_logged_minutes_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.work_ref} {self.activity} {self.logged_minutes} min"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError(_("A usage cannot be changed; post a reversal instead."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("The usage ledger is append-only; post a reversal instead."))

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None


class UsageDraw(models.Model):
    """Minutes a usage took from (positive) or gave back to (negative) a credit grant.

    Part of the append-only ledger, like :class:`Usage`.
    """

    usage = models.ForeignKey(
        Usage, on_delete=models.PROTECT, related_name="draws", verbose_name=_("usage")
    )
    grant = models.ForeignKey(
        CreditGrant, on_delete=models.PROTECT, related_name="draws", verbose_name=_("grant")
    )
    minutes = models.IntegerField(_("minutes"))

    objects = LedgerQuerySet.as_manager()

    class Meta:
        verbose_name = _("credit draw")
        verbose_name_plural = _("credit draws")
        indexes = [models.Index(fields=["grant", "usage"], name="draw_grant_idx")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(minutes=0), name="draw_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.minutes:+d} min"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError(_("A usage cannot be changed; post a reversal instead."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("The usage ledger is append-only; post a reversal instead."))


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


class InvoiceNumberSequence(models.Model):
    """The last invoice number given in a year; locked while the next one is taken."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("invoice number sequence")
        verbose_name_plural = _("invoice number sequences")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


# --- invoices ----------------------------------------------------------------------------


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    CANCELLED = "cancelled", _("Cancelled")


# Invoices in these states hold their usages and fees: nothing is drafted twice.
CLAIMING_STATUSES = (InvoiceStatus.DRAFT, InvoiceStatus.ISSUED)


# What may still change on an issued invoice, and only through the billing services:
# the cancellation (status and reason) and the stored PDF.
FROZEN_INVOICE_TRANSITIONS = frozenset({"status", "reason", "pdf"})


class InvoiceQuerySet(models.QuerySet):
    def delete(self):
        if self.exclude(status=InvoiceStatus.DRAFT).exists():
            raise ValidationError(_("An issued invoice cannot be deleted; cancel it instead."))
        return super().delete()

    def update(self, **kwargs):
        if self.exclude(status=InvoiceStatus.DRAFT).exists():
            raise ValidationError(_("An issued invoice cannot be changed; cancel it instead."))
        return super().update(**kwargs)

    def transition(self, **kwargs):
        """Cancel or attach the PDF: the only writes an issued invoice accepts (an issued
        invoice never goes back to a draft)."""
        allowed = set(kwargs) <= FROZEN_INVOICE_TRANSITIONS and kwargs.get(
            "status", InvoiceStatus.CANCELLED
        ) in {InvoiceStatus.CANCELLED}
        if not allowed and self.exclude(status=InvoiceStatus.DRAFT).exists():
            raise ValidationError(_("An issued invoice cannot be changed; cancel it instead."))
        return super().update(**kwargs)

    def claiming(self):
        """Invoices (not credit notes) that hold their usages: drafts and issued ones."""
        return self.filter(kind=InvoiceKind.INVOICE, status__in=CLAIMING_STATUSES)


def invoice_pdf_path(invoice: Invoice, filename: str) -> str:
    """Stored PDFs live by the year of the invoice: ``invoices/2026/2026-00017.pdf``."""
    return f"invoices/{invoice.issued_on:%Y}/{filename}"


class Invoice(models.Model):
    """A draft, or an issued invoice or credit note: an immutable snapshot once issued.

    Parties, rates, VAT and every line are copied in, so the invoice never changes when a
    customer, a case or the tariff is edited later. Drafts are built by
    ``billing.services.invoice_drafts`` and may be refreshed, trimmed or discarded; issuing
    freezes them for good. A cancellation is a credit note (``cancels`` the original).
    """

    kind = models.CharField(
        _("kind"), max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE
    )
    status = models.CharField(
        _("status"), max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    number = models.CharField(_("number"), max_length=12, unique=True, null=True, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="invoices",
        verbose_name=_("customer"),
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period until"))
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=2, default="fr")

    # The debtor as it was when the invoice was issued.
    debtor_number = models.CharField(_("customer number"), max_length=10, blank=True)
    debtor_name = models.CharField(_("debtor"), max_length=140, blank=True)
    debtor_street = models.CharField(_("street"), max_length=70, blank=True)
    debtor_house_number = models.CharField(_("house number"), max_length=16, blank=True)
    debtor_postcode = models.CharField(_("postcode"), max_length=16, blank=True)
    debtor_city = models.CharField(_("city"), max_length=35, blank=True)
    debtor_country = models.CharField(_("country"), max_length=2, blank=True)

    # The creditor (Company) as it was when the invoice was issued.
    creditor_name = models.CharField(_("creditor"), max_length=70, blank=True)
    creditor_street = models.CharField(_("street"), max_length=70, blank=True)
    creditor_house_number = models.CharField(_("house number"), max_length=16, blank=True)
    creditor_postcode = models.CharField(_("postcode"), max_length=4, blank=True)
    creditor_city = models.CharField(_("city"), max_length=35, blank=True)
    creditor_country = models.CharField(_("country"), max_length=2, blank=True)
    creditor_vat_number = models.CharField(_("VAT number"), max_length=30, blank=True)
    creditor_iban = models.CharField(_("IBAN"), max_length=42, blank=True)
    creditor_email = models.EmailField(_("e-mail"), blank=True)
    creditor_phone = models.CharField(_("phone"), max_length=30, blank=True)
    footer = models.TextField(_("footer"), blank=True)
    reference = models.CharField(
        _("payment reference"),
        max_length=27,
        blank=True,
        help_text=_("QR reference (with a QR-IBAN) or ISO 11649 creditor reference."),
    )

    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    net = models.DecimalField(_("net (CHF)"), max_digits=11, decimal_places=2, default=0)
    vat = models.DecimalField(_("VAT (CHF)"), max_digits=11, decimal_places=2, default=0)
    rounding = models.DecimalField(_("rounding (CHF)"), max_digits=5, decimal_places=2, default=0)
    total = models.DecimalField(_("total (CHF)"), max_digits=11, decimal_places=2, default=0)
    credit_used_minutes = models.IntegerField(_("credit used in the period (minutes)"), default=0)
    credit_remaining_minutes = models.IntegerField(
        _("credit remaining at the end of the period (minutes)"), default=0
    )

    cancels = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_note",
        verbose_name=_("cancels"),
    )
    reason = models.CharField(_("reason for the cancellation"), max_length=200, blank=True)
    pdf = models.FileField(_("PDF"), upload_to=invoice_pdf_path, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issued_on", "-id"]
        indexes = [
            models.Index(fields=["status", "issued_on"], name="invoice_status_day_idx"),
            models.Index(fields=["customer", "status"], name="invoice_customer_idx"),
            models.Index(fields=["period_start", "period_end"], name="invoice_period_idx"),
            models.Index(fields=["issued_on"], name="invoice_issued_idx"),
            models.Index(fields=["period_end"], name="invoice_period_end_idx"),
            models.Index(fields=["kind", "issued_on"], name="invoice_kind_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="invoice_period_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(status=InvoiceStatus.DRAFT)
                | (models.Q(number__isnull=False) & models.Q(issued_on__isnull=False)),
                name="invoice_issued_has_number",
            ),
            models.CheckConstraint(
                condition=models.Q(kind=InvoiceKind.INVOICE)
                | models.Q(cancels__isnull=False, status=InvoiceStatus.ISSUED),
                name="invoice_credit_note_cancels",
            ),
        ]

    def __str__(self) -> str:
        if self.number:
            return f"{self.get_kind_display()} {self.number}"
        return _("Draft %(customer)s %(start)s–%(end)s") % {
            "customer": self.customer.number if self.customer_id else "",
            "start": f"{self.period_start:%d.%m.%Y}",
            "end": f"{self.period_end:%d.%m.%Y}",
        }

    def save(self, *args, **kwargs):
        if not self._state.adding and self.pk is not None and self._frozen_in_db():
            raise ValidationError(_("An issued invoice cannot be changed; cancel it instead."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.pk is not None and self._frozen_in_db():
            raise ValidationError(_("An issued invoice cannot be deleted; cancel it instead."))
        return super().delete(*args, **kwargs)

    def _frozen_in_db(self) -> bool:
        return Invoice.objects.filter(pk=self.pk).exclude(status=InvoiceStatus.DRAFT).exists()

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE

    @property
    def is_issued(self) -> bool:
        """Issued and standing: numbered and frozen, and not cancelled (a cancelled
        invoice was issued too, but is no longer owed; a credit note is issued at once)."""
        return self.status == InvoiceStatus.ISSUED

    @property
    def is_cancelled(self) -> bool:
        """Cancelled by a credit note (``credit_note``); it stays numbered and frozen."""
        return self.status == InvoiceStatus.CANCELLED

    @property
    def vat_percent(self) -> str:
        """The VAT rate as written on an invoice: 8.10 -> "8.1", 8.00 -> "8"."""
        return format(self.vat_rate.normalize(), "f")


class FrozenLinesQuerySet(models.QuerySet):
    """Lines (and their usages) of an issued invoice can be neither changed nor deleted."""

    invoice_path = "invoice"

    def _frozen(self) -> bool:
        return self.exclude(**{f"{self.invoice_path}__status": InvoiceStatus.DRAFT}).exists()

    def update(self, **kwargs):
        if self._frozen():
            raise ValidationError(_("An issued invoice cannot be changed; cancel it instead."))
        return super().update(**kwargs)

    def delete(self):
        if self._frozen():
            raise ValidationError(_("An issued invoice cannot be changed; cancel it instead."))
        return super().delete()


class LineUsagesQuerySet(FrozenLinesQuerySet):
    invoice_path = "line__invoice"


class InvoiceLineKind(models.TextChoices):
    WORK = "work", _("Support work")
    SUPPORT_PLUS = "support_plus", _("Support+ subscription")
    SUPPORT_PLUS_PERSON = "support_plus_person", _("Support+ additional person")
    HALF_FARE = "half_fare", _("Half-fare subscription")


class InvoiceLine(models.Model):
    """One line: the work of a case in one activity and at one rate, or a subscription fee.

    Work lines copy the case text and the minutes from the ledger; the usages behind
    them are linked through :class:`InvoiceLineUsage`.
    """

    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="lines", verbose_name=_("invoice")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=20, choices=InvoiceLineKind.choices)
    work_ref = models.CharField(_("case"), max_length=64, blank=True)
    activity = models.CharField(_("activity"), max_length=16, blank=True)
    text = models.CharField(_("text"), max_length=200, blank=True)
    contact_name = models.CharField(_("contact"), max_length=140, blank=True)
    first_day = models.DateField(_("from"))
    last_day = models.DateField(_("until"))
    charged_minutes = models.IntegerField(_("charged minutes"), default=0)
    credit_minutes = models.IntegerField(_("minutes from credit"), default=0)
    billable_minutes = models.IntegerField(_("billable minutes"), default=0)
    quantity = models.IntegerField(_("quantity"), default=1)
    rate = models.DecimalField(
        _("rate (CHF)"),
        max_digits=9,
        decimal_places=2,
        help_text=_("Hourly rate for work, price per unit for subscriptions."),
    )
    half_fare = models.BooleanField(_("half-fare"), default=False)
    amount = models.DecimalField(_("amount (CHF)"), max_digits=11, decimal_places=2)
    support_plus = models.ForeignKey(
        "customers.SupportPlusSubscription",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoice_lines",
        verbose_name=_("Support+ subscription"),
    )
    half_fare_subscription = models.ForeignKey(
        "customers.HalfFareSubscription",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoice_lines",
        verbose_name=_("half-fare subscription"),
    )
    usages = models.ManyToManyField(
        Usage,
        through="InvoiceLineUsage",
        related_name="invoice_lines",
        verbose_name=_("usages"),
    )

    objects = FrozenLinesQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "position"], name="invoiceline_unique_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.text} {self.amount}"

    def save(self, *args, **kwargs):
        if self._invoice_frozen():
            raise ValidationError(_("An issued invoice cannot be changed; cancel it instead."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._invoice_frozen():
            raise ValidationError(_("An issued invoice cannot be changed; cancel it instead."))
        return super().delete(*args, **kwargs)

    @property
    def is_work(self) -> bool:
        """Support work of a case (minutes at an hourly rate), not a subscription fee."""
        return self.kind == InvoiceLineKind.WORK

    @property
    def days(self) -> str:
        """05.03.2026, 05.03.–09.03.2026 or 28.12.2026–04.01.2027."""
        first, last = self.first_day, self.last_day
        if first == last:
            return f"{last:%d.%m.%Y}"
        if first.year == last.year:
            return f"{first:%d.%m.}–{last:%d.%m.%Y}"
        return f"{first:%d.%m.%Y}–{last:%d.%m.%Y}"

    def _invoice_frozen(self) -> bool:
        return (
            Invoice.objects.filter(pk=self.invoice_id).exclude(status=InvoiceStatus.DRAFT).exists()
        )


class InvoiceLineUsage(models.Model):
    """Which usages a work line bills (a usage may be billed again after a cancellation)."""

    line = models.ForeignKey(
        InvoiceLine, on_delete=models.CASCADE, related_name="+", verbose_name=_("line")
    )
    usage = models.ForeignKey(
        Usage, on_delete=models.PROTECT, related_name="+", verbose_name=_("usage")
    )

    objects = LineUsagesQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoiced usage")
        verbose_name_plural = _("invoiced usages")
        constraints = [
            models.UniqueConstraint(fields=["line", "usage"], name="invoicelineusage_unique")
        ]
        indexes = [models.Index(fields=["usage", "line"], name="invoicelineusage_usage_idx")]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.usage_id}"


class InvoiceRunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class InvoiceRun(models.Model):
    """A run of ``invoice_drafts`` for a period, done by the background worker."""

    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period until"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=InvoiceRunStatus.choices,
        default=InvoiceRunStatus.QUEUED,
    )
    customers_total = models.PositiveIntegerField(_("customers to do"), default=0)
    customers_done = models.PositiveIntegerField(_("customers done"), default=0)
    drafts = models.PositiveIntegerField(_("drafts"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice run")
        verbose_name_plural = _("invoice runs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="invoicerun_period_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.period_start:%d.%m.%Y}–{self.period_end:%d.%m.%Y} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == InvoiceRunStatus.DONE:
            return 100
        if not self.customers_total:
            return 0
        return min(100, self.customers_done * 100 // self.customers_total)

    @property
    def finished(self) -> bool:
        return self.status in {InvoiceRunStatus.DONE, InvoiceRunStatus.FAILED}

    @property
    def is_done(self) -> bool:
        """Finished with its drafts made (``drafts`` says how many)."""
        return self.status == InvoiceRunStatus.DONE

    @property
    def is_failed(self) -> bool:
        """Stopped: refused (e.g. no tariff for the period) or broken off by an error
        (``error`` says which)."""
        return self.status == InvoiceRunStatus.FAILED
