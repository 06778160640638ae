"""Security headers of every response Django serves (static files are WhiteNoise's).

- ``Content-Security-Policy``: django-csp builds it from ``CONTENT_SECURITY_POLICY`` in the
  settings; the admin alone may use inline styles (see ``ContentSecurityPolicyMiddleware``).
- ``Permissions-Policy``: the browser features the desk never uses are switched off, so
  that an injected script could not turn on the camera, the microphone or a payment.
- ``Cache-Control: private, no-store`` on whatever is served to a logged-in user and on
  every download: customer data must not stay in a shared proxy or in the browser's cache
  of the desk's shared laptops. A response that already says ``no-store`` keeps its own
  (stricter or equal) header.
"""

from collections.abc import Callable

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control

# Only features that Chromium and Firefox know: an unknown name makes the browser log an
# error on every page. Off for every origin, this one included.
PERMISSIONS_OFF = (
    "accelerometer",
    "autoplay",
    "camera",
    "display-capture",
    "encrypted-media",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in PERMISSIONS_OFF)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with one exception: Django's admin and
    django-simple-history's history pages carry ``style="…"`` attributes and ``<style>``
    blocks, so ``style-src`` allows inline styles there. Scripts stay ``'self'`` only."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.app_name == "admin" and parts.update is None:
            parts.update = {"style-src": [UNSAFE_INLINE]}
        return parts


class SecurityHeadersMiddleware:
    """Adds ``Permissions-Policy`` to every response and ``Cache-Control: private,
    no-store`` to those for a logged-in user and to downloads."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if _is_personal(request, response) and "no-store" not in response.get("Cache-Control", ""):
            # patch_cache_control drops a "public" the view may have set.
            patch_cache_control(response, private=True, no_store=True)
        return response


def _is_personal(request: HttpRequest, response: HttpResponseBase) -> bool:
    """Served to a logged-in user, or a file to save (a PDF, an attachment, an export)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    return response.has_header("Content-Disposition")
