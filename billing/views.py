"""Read-only audit pages of the ledger (Billing and Manager roles, by permission)."""

from customers.views import TableListView

from . import selectors
from .filters import CreditGrantFilter, UsageFilter
from .tables import CreditGrantTable, UsageTable


class LedgerView(TableListView):
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


class CreditGrantListView(TableListView):
    permission_required = "billing.view_creditgrant"
    table_class = CreditGrantTable
    filterset_class = CreditGrantFilter
    template_name = "billing/grants.html"
    export_name = "credit-grants"

    def get_queryset(self):
        return selectors.grants_with_use()
