"""An ERP file uploaded to load or update the customer base: the file kept as it came,
and what the dry run, then the import, said of each of its rows."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ErpImportStatus(models.TextChoices):
    CHECKING = "checking", _("being checked")
    CHECKED = "checked", _("checked: waiting for confirmation")
    APPLYING = "applying", _("being imported")
    APPLIED = "applied", _("imported")
    FAILED = "failed", _("failed")


class ErpImport(models.Model):
    """One upload: checked by a dry run in the background, imported once confirmed."""

    file = models.FileField(_("file"), upload_to="erp/%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    language = models.CharField(_("language"), max_length=2, default="fr")
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ErpImportStatus.choices,
        default=ErpImportStatus.CHECKING,
    )
    counts = models.JSONField(_("rows by outcome"), default=dict, blank=True)
    # One entry per row: line, sheet, record, key, outcome, changes [[field, old, new]], message.
    rows = models.JSONField(_("rows"), default=list, blank=True)
    unknown_columns = models.JSONField(_("columns left out"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("ERP import")
        verbose_name_plural = _("ERP imports")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("exchange_erp", _("Can import the customer base from the ERP and export it"))
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"

    @property
    def busy(self) -> bool:
        return self.status in (ErpImportStatus.CHECKING, ErpImportStatus.APPLYING)
