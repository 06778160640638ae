from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from q3helpdesk.demo.seeding import DEMO_PASSWORD

DEMO_PASSWORD_REFUSED = _(
    "The demo password is not accepted on this server. Ask an administrator to set a real "
    "password for your account (manage.py changepassword)."
)


class DemoPasswordRefusedMixin:
    """Without DEBUG the demo users' password never logs anyone in: refused before any
    authentication, so the answer says nothing about whether an account still has it."""

    def clean(self):
        if not settings.DEBUG and self.cleaned_data.get("password") == DEMO_PASSWORD:
            raise ValidationError(DEMO_PASSWORD_REFUSED, code="demo_password")
        return super().clean()


class LoginForm(DemoPasswordRefusedMixin, AuthenticationForm):
    pass


class AdminLoginForm(DemoPasswordRefusedMixin, AdminAuthenticationForm):
    pass


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "text"}
        ),
    )
