"""Time entries: the minutes the desk logs on a case.

Each entry is a usage of billing's ledger with the case's reference as ``work_ref``;
removing an entry posts the reversal, the entry stays visible.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from billing.models import VERIFIED_ERROR

from ._common import _staff
from .cases import Case


class TimeEntry(models.Model):
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="time_entries", verbose_name=_("case")
    )
    usage = models.OneToOneField(
        "billing.Usage",
        on_delete=models.PROTECT,
        related_name="time_entry",
        verbose_name=_("usage"),
    )
    reversal = models.OneToOneField(
        "billing.Usage",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reversal"),
    )
    activity = models.CharField(_("activity"), max_length=16)
    minutes = models.PositiveIntegerField(_("minutes"))
    performed_on = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = _staff(_("logged by"))
    created_at = models.DateTimeField(_("logged"), auto_now_add=True)
    removed_by = _staff(_("removed by"))

    class Meta:
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        ordering = ["performed_on", "id"]
        indexes = [models.Index(fields=["case", "performed_on"], name="timeentry_case_idx")]

    def __str__(self) -> str:
        return f"{self.case.reference} {self.minutes} min"

    @property
    def is_removed(self) -> bool:
        return self.reversal_id is not None

    @property
    def is_free_as_verified_error(self) -> bool:
        """Posted free because its case is a verified software error (R9), while the desk
        logged it as another activity."""
        return self.usage.activity == VERIFIED_ERROR and self.activity != VERIFIED_ERROR
