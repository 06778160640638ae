"""Writes of the API app: a client is created with its token, and revoked."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from q3helpdesk.guards import service

from .models import ApiClient, Scope

TOKEN_PREFIX = "q3_"  # noqa: S105 - a marker that tells a leaked token apart, no secret


def token_hash(token: str) -> str:
    """What is stored of a token. A token is 32 random bytes, so a plain SHA-256 is enough:
    nobody can guess one, and the lookup stays one indexed query."""
    return hashlib.sha256(token.encode()).hexdigest()


@service(own_checks=("scopes",))
@transaction.atomic
def api_client_create(
    *,
    name: str,
    scopes: list[str],
    expires_on: date | None = None,
    created_by: User | None = None,
) -> tuple[ApiClient, str]:
    """A new client and its token. The token is returned here once and never stored:
    give it to the system, it cannot be read back (create a new client to replace it)."""
    if not isinstance(scopes, list | tuple) or not all(isinstance(s, str) for s in scopes):
        raise ValidationError(_("Give the scopes as a list, for example ['caller']."))
    cleaned = [s.strip() for s in scopes]
    known = [s for s in Scope.values if s in cleaned]
    # Known scopes in their fixed order; anything else goes to the model's check.
    wanted = known if len(set(cleaned)) == len(known) else cleaned
    if expires_on is not None and expires_on < timezone.localdate():
        raise ValidationError(_("The last valid day cannot be in the past."))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    client = ApiClient(
        name=name.strip(),
        scopes=wanted,
        key_prefix=token[:10],
        key_hash=token_hash(token),
        expires_on=expires_on,
        created_by=created_by,
    )
    client.full_clean()
    client.save()
    return client, token


@service
@transaction.atomic
def api_client_revoke(*, client: ApiClient) -> ApiClient:
    """The client's token is refused from now on, for good (the row stays, for the record)."""
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    if client.active:
        client.active = False
        client.revoked_at = timezone.now()
        client.save(update_fields=["active", "revoked_at"])
    return client
