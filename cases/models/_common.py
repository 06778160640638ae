"""Private helpers that more than one module of the cases models needs."""

from django.conf import settings
from django.db import models


def _staff(verbose_name) -> models.ForeignKey:
    """A member of the desk who did something; kept as nobody when the user is deleted."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=verbose_name,
    )
