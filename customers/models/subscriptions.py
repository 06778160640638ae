"""Subscriptions: half-fare (R6) and Support+ (R7) with its registered persons."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .customers import Contact, Customer
from .licences import SupportPlusGuardedQuerySet


class HalfFareQuerySet(SupportPlusGuardedQuerySet):
    guarded_as = "deleted_half_fares"


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

    objects = HalfFareQuerySet.as_manager()

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
        from .support_plus import check_support_plus_kept  # R7 (it imports this module)

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
        if self.pk and self.start and self.end and self.end >= self.start:
            check_support_plus_kept(half_fares=[self])

    def delete(self, *args, **kwargs):
        from .support_plus import check_support_plus_kept  # R7 (it imports this module)

        if self.pk is not None:
            check_support_plus_kept(deleted_half_fares=[self])
        return super().delete(*args, **kwargs)


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
    registered: models.ManyToManyField[Contact, SupportPlusRegistration] = models.ManyToManyField(
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
