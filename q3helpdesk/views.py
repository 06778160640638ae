from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import timezone
from django.views.generic import RedirectView

from billing.selectors import tariff_in_force
from customers.models import LicenceVariant
from customers.selectors import customer_overview

from .roles import EVERYONE, role_required


@role_required(*EVERYONE)
def home(request):
    """The home page: what each of the user's roles needs first."""
    today = timezone.localdate()
    try:
        tariff = tariff_in_force(on=today)
    except ValidationError as exc:
        tariff, tariff_error = None, exc.messages[0]
    else:
        tariff_error = ""
    credit_table = [
        {
            "variant": label,
            "single": tariff.credit_minutes(value, 1),
            "several": tariff.credit_minutes(value, 2),
        }
        for value, label in LicenceVariant.choices
        if tariff is not None
    ]
    return render(
        request,
        "home.html",
        {
            "today": today,
            "tariff": tariff,
            "tariff_error": tariff_error,
            "credit_table": credit_table,
            "overview": customer_overview(on=today),
        },
    )


class FaviconView(RedirectView):
    """/favicon.ico for pages without an icon link (the admin); resolved per request,
    because the static file's hashed name is known only after collectstatic."""

    permanent = True

    def get_redirect_url(self, *args, **kwargs) -> str:
        return static("favicon.svg")
