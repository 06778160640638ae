"""Daily roll-up of cases: opened and resolved per day (in Zurich), channel and kind.

``case_create`` and the status changes of ``cases.services`` keep it in step in their
transaction; ``rollups_rebuild`` derives it again from the cases.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .cases import CaseKind, Channel


class DailyCases(models.Model):
    day = models.DateField(_("day"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=8, choices=CaseKind.choices)
    opened = models.IntegerField(_("opened"), default=0)
    resolved = models.IntegerField(_("resolved"), default=0)

    class Meta:
        verbose_name = _("daily cases")
        verbose_name_plural = _("daily cases")
        constraints = [
            models.UniqueConstraint(fields=["day", "channel", "kind"], name="daily_cases_unique")
        ]

    def __str__(self) -> str:
        return f"{self.day:%d.%m.%Y} {self.channel} {self.kind}"
