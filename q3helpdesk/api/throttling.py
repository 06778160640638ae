"""At most ``API_RATE`` requests per minute and client (a loop in another system must not
slow the desk down). Counted in the process's cache."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from .auth import ApiPrincipal


class ClientRateThrottle(SimpleRateThrottle):
    scope = "client"

    def get_cache_key(self, request, view):
        if isinstance(request.user, ApiPrincipal):
            return self.cache_format % {"scope": self.scope, "ident": request.user.client.pk}
        return None  # a desk user reading the schema: not throttled here
