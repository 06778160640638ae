from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.http import require_safe
from django.views.generic import RedirectView
from django_tables2 import RequestConfig

from billing.selectors import tariff_in_force
from customers.models import LicenceVariant
from customers.selectors import customer_overview

from .dashboard import selectors
from .dashboard import tiles as board
from .dashboard.forms import PeriodForm
from .dashboard.periods import preset
from .dashboard.tables import NearCreditTable, OverdueCallbackTable, TopCustomerTable
from .roles import EVERYONE, Role, role_required, user_roles
from .ui.exports import export_response


@role_required(*EVERYONE)
@require_safe
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
    roles, now = user_roles(request.user), timezone.now()
    desk = bool(roles & {Role.INFOLINE, Role.SUPPORT})
    return render(
        request,
        "home.html",
        {
            "today": today,
            "tariff": tariff,
            "tariff_error": tariff_error,
            "credit_table": credit_table,
            "overview": customer_overview(on=today) if Role.MANAGER in roles else None,
            # The desk's "my work": open cases and callbacks (the inbox count and the
            # callbacks due now come from the context processor, as in the navigation).
            "work": selectors.desk_work(user=request.user, now=now) if desk else None,
            "now": now,
        },
    )


@role_required(Role.MANAGER)
@require_safe
def dashboard(request):
    """KPIs and charts of a period against the period before (read-only, for managers)."""
    today, now = timezone.localdate(), timezone.now()
    form = PeriodForm(request.GET or None, today=today)
    period = form.cleaned_data["range"] if form.is_valid() else preset("month", today)
    previous = period.previous()

    top = selectors.top_customers(period)
    tables = {
        "top": TopCustomerTable(top, prefix="top-"),
        "credit": NearCreditTable(selectors.customers_near_end_of_credit(today), prefix="credit-"),
        "overdue": OverdueCallbackTable(selectors.callbacks_overdue(now), prefix="overdue-"),
    }
    wanted = request.GET.get("_export")
    if wanted:
        table = tables.get(request.GET.get("_table", ""))
        if table is None:
            raise Http404("unknown export")
        return export_response(table, fmt=wanted, name=f"dashboard-{request.GET['_table']}")
    for table in tables.values():
        RequestConfig(request, paginate=True).configure(table)

    return render(
        request,
        "dashboard.html",
        {
            "form": form,
            "period": period,
            "previous": previous,
            "today": today,
            "tiles": board.tiles(
                period,
                previous,
                today=today,
                now=now,
                overdue=tables["overdue"].paginator.count,
            ),
            "charts": board.charts(period, now=now, top=top),
            "tables": tables,
        },
    )


class FaviconView(RedirectView):
    """/favicon.ico for pages without an icon link (the admin); resolved per request,
    because the static file's hashed name is known only after collectstatic."""

    permanent = True

    def get_redirect_url(self, *args, **kwargs) -> str:
        return static("favicon.svg")
