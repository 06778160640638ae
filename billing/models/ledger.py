"""The credit ledger: credit grants and the append-only usage ledger.

:class:`CreditGrant` is the free minutes of a rental year or Support+ year (R3, R7);
:class:`Usage` is one posting of work, :class:`UsageDraw` the minutes it took from a grant.
Neither is ever updated or deleted: a correction is a reversing usage.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .tariffs import Tariff


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
    # The minutes drawn from it, net of reversals: the sum of its draws, added to by the
    # ledger services with each draw (a roll-up, see billing.services.rollups), so that the
    # lists and the dashboard read it instead of summing the draws of every grant.
    used_minutes = models.IntegerField(_("used minutes"), default=0, editable=False)
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
            # The list of grants sorts by each column (valid_to and source have theirs).
            models.Index(fields=["valid_from"], name="grant_valid_from_idx"),
            models.Index(fields=["minutes"], name="grant_minutes_idx"),
            # ... and by the minutes used and remaining (the roll-up of its draws).
            models.Index(fields=["used_minutes"], name="grant_used_idx"),
            models.Index(
                models.F("minutes") - models.F("used_minutes"), name="grant_remaining_idx"
            ),
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
            # The ledger sorts by activity and filters by it (newest first within it).
            models.Index(fields=["activity", "performed_on"], name="usage_activity_day_idx"),
            # What is not invoiced yet (the dashboard's amount): the few postings of the
            # months still open, not a scan of every posting of the period.
            models.Index(
                fields=["performed_on"],
                condition=models.Q(invoiced_at__isnull=True) & ~models.Q(billable_minutes=0),
                name="usage_unbilled_idx",
            ),
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
