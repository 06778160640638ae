"""Daily roll-ups of the ledger: what the manager dashboard sums, kept per day.

``record_usage`` and ``usage_reverse`` add each posting to its day's rows in the same
transaction (``billing.services.rollups``), so the figures are never stale; the command
``rollups_rebuild`` derives them again from the ledger, and a test holds that both give
the same rows. Rows are per customer because the dashboard ranks customers and counts
those who used credit; a day holds one row per customer and activity that had work.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .ledger import GrantSource


class DailyUsage(models.Model):
    """The ledger's postings (reversals included, so sums are net) of one day, customer
    and activity."""

    day = models.DateField(_("day"))
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    activity = models.CharField(_("activity"), max_length=16)
    postings = models.IntegerField(_("postings"), default=0)
    charged_minutes = models.IntegerField(_("charged minutes"), default=0)
    free_minutes = models.IntegerField(_("free minutes"), default=0)
    credit_minutes = models.IntegerField(_("minutes from credit"), default=0)
    billable_minutes = models.IntegerField(_("billable minutes"), default=0)
    amount = models.DecimalField(_("amount (CHF)"), max_digits=12, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("daily usage")
        verbose_name_plural = _("daily usages")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "customer", "activity"], name="daily_usage_unique"
            )
        ]
        indexes = [models.Index(fields=["day", "activity"], name="daily_usage_day_idx")]

    def __str__(self) -> str:
        return f"{self.day:%d.%m.%Y} {self.customer_id} {self.activity}"


class DailyCredit(models.Model):
    """Credit minutes drawn (net of reversals) on one day by one customer from one kind
    of grant: licence credit by the variant of its licence, or Support+ credit."""

    day = models.DateField(_("day"))
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(_("source"), max_length=12, choices=GrantSource.choices)
    variant = models.CharField(_("variant"), max_length=16, blank=True)  # "" for Support+
    minutes = models.IntegerField(_("minutes"), default=0)

    class Meta:
        verbose_name = _("daily credit drawn")
        verbose_name_plural = _("daily credit drawn")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "customer", "source", "variant"], name="daily_credit_unique"
            )
        ]
        indexes = [models.Index(fields=["day", "source"], name="daily_credit_day_idx")]

    def __str__(self) -> str:
        return f"{self.day:%d.%m.%Y} {self.customer_id} {self.source} {self.variant}"
