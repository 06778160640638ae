"""Shared pieces of the list pages of every app (they may all import customers)."""

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import Http404
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.export.views import ExportMixin


class TableListView(
    LoginRequiredMixin, PermissionRequiredMixin, ExportMixin, SingleTableMixin, FilterView
):
    """A filterable, sortable, paginated list that exports to CSV (``?_export=csv``).

    Set ``permission_required``, ``table_class``, ``filterset_class``, ``template_name``
    and ``export_name``. Anonymous users go to the login page, others without the
    permission get 403; an export format other than CSV is not found.
    """

    raise_exception = False
    export_formats = ("csv",)

    def render_to_response(self, context, **kwargs):
        wanted = self.request.GET.get(self.export_trigger_param)
        if wanted and wanted not in self.export_formats:
            raise Http404("unknown export format")
        return super().render_to_response(context, **kwargs)
