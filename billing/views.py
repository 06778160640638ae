"""Read-only audit pages of the ledger (Billing and Manager roles, by permission)."""

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import Http404
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.export.views import ExportMixin

from . import selectors
from .filters import CreditGrantFilter, UsageFilter
from .tables import CreditGrantTable, UsageTable


class AuditListView(
    LoginRequiredMixin, PermissionRequiredMixin, ExportMixin, SingleTableMixin, FilterView
):
    """A filterable, sortable, paginated list that exports to CSV (``?_export=csv``)."""

    raise_exception = False  # anonymous users go to the login page, others get 403
    export_formats = ("csv",)

    def render_to_response(self, context, **kwargs):
        wanted = self.request.GET.get(self.export_trigger_param)
        if wanted and wanted not in self.export_formats:
            raise Http404("unknown export format")
        return super().render_to_response(context, **kwargs)


class LedgerView(AuditListView):
    permission_required = "billing.view_usage"
    table_class = UsageTable
    filterset_class = UsageFilter
    template_name = "billing/ledger.html"
    export_name = "ledger"

    def get_queryset(self):
        return selectors.ledger_usages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["totals"] = selectors.ledger_totals(self.object_list)
        return context


class CreditGrantListView(AuditListView):
    permission_required = "billing.view_creditgrant"
    table_class = CreditGrantTable
    filterset_class = CreditGrantFilter
    template_name = "billing/grants.html"
    export_name = "credit-grants"

    def get_queryset(self):
        return selectors.grants_with_use()
