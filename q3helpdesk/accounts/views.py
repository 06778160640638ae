"""My account: password change and two-factor login (enrolment, code page, recovery codes)."""

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import user_has_device

from q3helpdesk.roles import EVERYONE, Role, role_required

from . import services
from .forms import CodeForm

# Superusers pass every role check: these pages are for them and the Billing group.
TWO_FACTOR_ROLES = (Role.BILLING,)


def _posted(request):
    """The submitted data, or None for a GET (an empty POST is a submission too)."""
    return request.POST if request.method == "POST" else None


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _account_context(request, password_form) -> dict:
    user = request.user
    device = services.totp_device(user)
    return {
        "password_form": password_form,
        "two_factor_offered": services.two_factor_required(user),
        "two_factor_enforced": settings.REQUIRE_2FA,
        "totp_device": device,
        "recovery_codes_left": services.recovery_codes_left(user) if device else 0,
    }


@never_cache
@role_required(*EVERYONE)
@require_http_methods(["GET", "POST"])
def account(request):
    """The user's own page; a POST changes the password, which ends the user's other
    sessions (their stored password hash no longer matches) and keeps this one."""
    form = PasswordChangeForm(request.user, _posted(request))
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        messages.success(
            request, _("Your password has been changed. Your other sessions are logged out.")
        )
        return redirect("account")
    return render(request, "accounts/account.html", _account_context(request, form))


@never_cache
@role_required(*TWO_FACTOR_ROLES)
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """Enrol an authenticator app: QR code and secret, then a first code confirms it and the
    recovery codes are shown, once."""
    if user_has_device(request.user):
        # Replacing a device goes through "Remove" (which needs the second factor).
        return redirect("account")
    device = services.totp_device_pending(user=request.user)
    form = CodeForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.totp_device_confirm(user=request.user, token=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            otp_login(request, services.totp_device(request.user))
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next": _next_url(request), "first_time": True},
            )
    context = {
        "form": form,
        # Our own markup: QR modules as <path>, no user text (the username is in the pixels).
        "qr_svg": mark_safe(services.totp_qr_svg(device)),  # noqa: S308
        "secret": services.totp_secret(device),
        "next": _next_url(request),
    }
    return render(request, "accounts/two_factor_setup.html", context)


@never_cache
@role_required(*TWO_FACTOR_ROLES)
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    """The code page: a code of the authenticator app or a recovery code."""
    if not user_has_device(request.user):
        return redirect("two_factor_setup")
    if request.user.is_verified():
        return redirect(_next_url(request))
    form = CodeForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            device = services.two_factor_verify(user=request.user, token=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            otp_login(request, device)
            if device.name == services.RECOVERY_DEVICE_NAME:
                messages.warning(
                    request,
                    _("You used a recovery code: %(left)d left.")
                    % {"left": services.recovery_codes_left(request.user)},
                )
            return redirect(_next_url(request))
    return render(
        request, "accounts/two_factor_verify.html", {"form": form, "next": _next_url(request)}
    )


@never_cache
@role_required(*TWO_FACTOR_ROLES)
@require_POST
def recovery_codes_regenerate(request):
    if services.totp_device(request.user) is None:
        return redirect("account")
    codes = services.recovery_codes_regenerate(user=request.user)
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "next": reverse("account"), "first_time": False},
    )


@never_cache
@role_required(*TWO_FACTOR_ROLES)
@require_http_methods(["GET", "POST"])
def two_factor_remove(request):
    """A confirmation page, then the authenticator and the recovery codes are removed."""
    if request.method == "POST":
        services.two_factor_remove(user=request.user)
        messages.success(request, _("Two-factor login removed."))
        return redirect("account")
    return render(request, "accounts/two_factor_remove.html")


def locked_out(request, original_response=None, credentials=None):
    """django-axes' lockout answer (AXES_LOCKOUT_CALLABLE): our translated page."""
    cool_off = get_cool_off(request)
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
    }
    return render(
        request,
        "registration/locked_out.html",
        context,
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
