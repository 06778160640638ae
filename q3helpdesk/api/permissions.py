"""Scopes: each API view names the one it needs (``required_scope``); the client's token
must carry it."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from .auth import ApiPrincipal


class HasScope(BasePermission):
    message = _("This token may not read this: its system lacks the scope.")

    def has_permission(self, request, view) -> bool:
        principal = request.user
        if not isinstance(principal, ApiPrincipal):
            return False
        return principal.client.has_scope(view.required_scope)
