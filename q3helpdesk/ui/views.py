"""The list view of every list page: filter, sort, page, export."""

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from .exports import export_response


class TableListView(LoginRequiredMixin, PermissionRequiredMixin, SingleTableMixin, FilterView):
    """A filterable, sortable, paginated list that exports the filtered rows
    (``?_export=csv`` or ``?_export=xlsx``, see ``q3helpdesk.ui.exports``).

    Set ``permission_required``, ``table_class``, ``filterset_class``, ``template_name``
    and ``export_name``. Anonymous users go to the login page, others without the
    permission get 403; an unknown export format is not found.
    """

    raise_exception = False
    export_name = "table"
    export_trigger_param = "_export"

    def default_filters(self) -> dict[str, str]:
        """The filter values of the list's default view, used when the query string sets
        none of the filters (a first visit, a link from the menu, *Reset*)."""
        return {}

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        defaults = self.default_filters()
        if defaults and not any(name in self.request.GET for name in filterset_class.base_filters):
            data = self.request.GET.copy()
            data.update(defaults)
            kwargs["data"] = data
        return kwargs

    def render_to_response(self, context, **kwargs):
        wanted = self.request.GET.get(self.export_trigger_param)
        if wanted:
            table = self.get_table(**self.get_table_kwargs())
            return export_response(table, fmt=wanted, name=self.export_name)
        return super().render_to_response(context, **kwargs)
