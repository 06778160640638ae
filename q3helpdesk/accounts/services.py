"""Two-factor login: enrolment of an authenticator app (TOTP), recovery codes, verification.

Devices are django-otp's: one TOTPDevice (the app) and one StaticDevice holding the
one-time recovery codes per user.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from q3helpdesk.roles import Role, user_roles

RECOVERY_CODE_COUNT = 10
DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery"
WRONG_CODE = _("This code is not valid. Check it (and the time of your phone) and try again.")
THROTTLED = _("Too many wrong codes. Wait a minute, then try again.")


def two_factor_required(user) -> bool:
    """Superusers and the Billing group handle money and configuration: they log in with a
    second factor. Other roles are never asked."""
    return user.is_authenticated and (user.is_superuser or Role.BILLING in user_roles(user))


def totp_device(user) -> TOTPDevice | None:
    """The user's confirmed authenticator app, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def totp_device_pending(*, user: User) -> TOTPDevice:
    """The authenticator being enrolled (created at the first visit, with a new secret)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def totp_secret(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app by hand."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address of the device as an inline <svg> (no style attribute: the
    Content-Security-Policy forbids inline styles)."""
    image = qrcode.make(
        device.config_url, image_factory=qrcode.image.svg.SvgPathFillImage, border=2
    )
    root = image.get_image()
    root.set("width", "200")
    root.set("height", "200")
    root.set("role", "img")
    root.set("aria-label", str(_("QR code for your authenticator app")))
    ET.register_namespace("", "http://www.w3.org/2000/svg")
    return ET.tostring(root, encoding="unicode")


def _normalise(token: str) -> str:
    return re.sub(r"[\s-]", "", token or "").lower()


def _verify(device: Device, token: str) -> bool:
    allowed, _details = device.verify_is_allowed()
    if not allowed:
        raise ValidationError(THROTTLED, code="throttled")
    return device.verify_token(token)


def totp_device_confirm(*, user: User, token: str) -> list[str]:
    """Confirm the pending authenticator with its first code; returns new recovery codes."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        raise ValidationError(_("Start the set-up again: no authenticator is waiting."))
    # Not inside the transaction below: a wrong code's throttling must be kept.
    if not _verify(device, _normalise(token)):
        raise ValidationError(WRONG_CODE, code="wrong_code")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        return recovery_codes_regenerate(user=user)


@transaction.atomic
def recovery_codes_regenerate(*, user: User) -> list[str]:
    """Ten new one-time recovery codes; the previous ones stop working."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def two_factor_remove(*, user: User) -> None:
    """Remove the authenticator and the recovery codes of ``user``."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def two_factor_verify(*, user: User, token: str) -> Device:
    """The device that accepts ``token``: six digits are a code of the app, anything else a
    recovery code (used up). Raises ValidationError for a wrong code."""
    token = _normalise(token)
    if not token:
        raise ValidationError(_("Enter the code."), code="required")
    if re.fullmatch(r"\d{6}", token):
        device = totp_device(user)
    else:
        device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    # A wrong code's throttling is saved by verify_token: no transaction to roll it back.
    if device is None or not _verify(device, token):
        raise ValidationError(WRONG_CODE, code="wrong_code")
    return device
