"""The other systems that read the desk through the API (the ERP, the telephone system, a
BI tool): one client per system, with its own token and the scopes it may read."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    """What a client may read; each endpoint needs one scope (README "API")."""

    CALLER = "caller", _("Caller lookup by phone number")
    CUSTOMERS = "customers", _("Customers with their support status and credit")
    CASES = "cases", _("Cases (without their texts)")
    USAGES = "usages", _("Posted support time (usages)")
    INVOICES = "invoices", _("Issued invoices and their PDF")


def validate_scopes(value) -> None:
    known = set(Scope.values)
    if not isinstance(value, list) or not value or any(s not in known for s in value):
        raise ValidationError(
            _("Choose the scopes among: %(scopes)s.") % {"scopes": ", ".join(Scope.values)}
        )


class ApiClient(models.Model):
    """A system allowed to read the API. Only the SHA-256 of its token is kept: the token
    is shown once, when the client is created, and cannot be read back."""

    name = models.CharField(_("system"), max_length=80, unique=True)
    scopes = models.JSONField(_("scopes"), default=list, validators=[validate_scopes])
    key_prefix = models.CharField(_("token starts with"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    expires_on = models.DateField(
        _("valid until"),
        null=True,
        blank=True,
        help_text=_("Empty: valid until revoked. The token is refused from the day after."),
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes
