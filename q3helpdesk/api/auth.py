"""Token authentication of the API: ``Authorization: Bearer q3_…``, one token per system.

A request with a valid token is authenticated as an :class:`ApiPrincipal`, which is no
user of the desk: it has no role and no permission, and its scopes alone decide what it
reads (``permissions.HasScope``). The session is never looked at, so a browser's cookie
neither opens nor changes an API call.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from .models import ApiClient
from .services import token_hash

# ``last_used_at`` is written at most this often per client: an answer should not cost a
# write, and the admin only needs to know whether a system still calls.
LAST_USED_EVERY = timedelta(minutes=1)


class ApiPrincipal(AnonymousUser):
    """The system behind a token: authenticated, but no desk user (no role, no
    permission, no session)."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    @property
    def is_authenticated(self) -> bool:  # type: ignore[override]
        return True

    def __str__(self) -> str:
        return f"api:{self.client.name}"


class ApiTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Give the token as 'Authorization: Bearer <token>'.")
            )
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("This token is not valid.")) from None
        client = ApiClient.objects.filter(key_hash=token_hash(token)).first()
        today = timezone.localdate()
        if client is None or not client.active:
            raise exceptions.AuthenticationFailed(_("This token is not valid."))
        if client.expires_on is not None and client.expires_on < today:
            raise exceptions.AuthenticationFailed(_("This token has expired."))
        _note_use(client)
        return ApiPrincipal(client), client

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


def _note_use(client: ApiClient) -> None:
    now = timezone.now()
    if client.last_used_at is not None and now - client.last_used_at < LAST_USED_EVERY:
        return
    # Conditional: of two requests at once, one writes.
    ApiClient.objects.filter(pk=client.pk, last_used_at=client.last_used_at).update(
        last_used_at=now
    )
    client.last_used_at = now


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "q3helpdesk.api.auth.ApiTokenAuthentication"
    name = "token"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": str(
                _("One token per system, created by an administrator with its scopes.")
            ),
        }
