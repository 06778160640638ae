"""Two-factor enforcement and the idle timeout of sessions."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect
from django_otp import user_has_device

from .services import two_factor_required

# Reachable while the second factor is still owed: leaving, the two-factor pages
# themselves and the language switch. (Static files are served before any of this.)
TWO_FACTOR_EXEMPT = {
    "logout",
    "admin:logout",
    "set_language",
    "favicon",
    "two_factor_verify",
    "two_factor_setup",
}


class TwoFactorMiddleware:
    """With REQUIRE_2FA, a superuser or Billing user logged in with the password alone is
    sent to the code page on every URL (the admin included), or first to the enrolment if
    they have no authenticator yet. Needs django_otp's OTPMiddleware before it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.REQUIRE_2FA:
            return None
        user = request.user
        if not two_factor_required(user) or user.is_verified():
            return None
        if request.resolver_match.view_name in TWO_FACTOR_EXEMPT or _token_request(request):
            return None
        target = "two_factor_verify" if user_has_device(user) else "two_factor_setup"
        url = f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}"
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(url)
        return redirect(url)


def _token_request(request) -> bool:
    """A call of the API by another system: its views authenticate the token alone and
    never read the session, so a browser's half-logged-in cookie must not turn the call
    into a redirect. (The schema also serves desk users: only with a token is it exempt,
    and it then checks that token first.)"""
    match = request.resolver_match
    if match.namespace == "api":
        return True
    return match.view_name == "api_schema" and request.META.get(
        "HTTP_AUTHORIZATION", ""
    ).startswith("Bearer ")


ACTIVITY_KEY = "_q3_activity"


def stamp_activity_at_login(sender, request, user, **kwargs) -> None:
    """Logging in writes the session anyway: stamp it then, so that the first page after the
    login does not write it a second time."""
    if getattr(request, "session", None) is not None:
        request.session[ACTIVITY_KEY] = int(time.time())


class SessionIdleMiddleware:
    """Activity keeps a logged-in session alive for SESSION_COOKIE_AGE more seconds.

    Django sets the expiry of the cookie and of the database row when it saves the
    session; a session idle longer than that is gone. Saving it on every request
    (SESSION_SAVE_EVERY_REQUEST) would write a row per request; instead the session is
    marked as changed at most every SESSION_ACTIVITY_REFRESH_SECONDS, which moves both
    expiries forward. The timeout may therefore come up to that interval early.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(ACTIVITY_KEY)
            if not isinstance(last, int) or now - last >= settings.SESSION_ACTIVITY_REFRESH_SECONDS:
                request.session[ACTIVITY_KEY] = now
        return self.get_response(request)
