import django_tables2 as tables
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime, now
from django.utils.translation import gettext_lazy as _

from q3helpdesk.ui.tables import BaseTable

from .models import Callback, CallbackStatus, Case
from .selectors import search_snippet
from .templatetags.when import when
from .templatetags.when import window as window_text


def _by(user) -> str:
    return f"({user.get_full_name() or user.username})" if user else ""


class CaseTable(BaseTable):
    reference = tables.Column(
        verbose_name=_("Case"),
        accessor="pk",
        order_by=("id",),
        linkify=("case_detail", {"pk": tables.A("pk")}),
    )
    customer = tables.Column(verbose_name=_("Customer"), order_by=("customer__name",))
    support_plus = tables.BooleanColumn(verbose_name=_("Support+"), yesno="★,")

    class Meta(BaseTable.Meta):
        model = Case
        fields = [
            "support_plus",
            "reference",
            "created_at",
            "customer",
            "contact",
            "channel",
            "kind",
            "subject",
            "status",
            "assignee",
        ]
        # No order of its own: the filter orders (working view, or best text match first)
        # until a column is clicked. Every column sorts through an index, but the contact:
        # it is optional (a LEFT JOIN), so no index of the cases holds that order, and
        # sorting 100 000 cases by it would read them all.
        orderable_fields = (
            "support_plus",
            "reference",
            "created_at",
            "customer",
            "channel",
            "kind",
            "subject",
            "status",
            "assignee",
        )
        row_attrs = {"data-support-plus": lambda record: "1" if record.support_plus else "0"}

    def render_reference(self, record) -> str:
        return record.reference

    def value_reference(self, record) -> str:
        return record.reference

    def render_customer(self, record):
        return format_html("{} {}", record.customer.number, record.customer.name)

    def value_customer(self, record) -> str:
        return f"{record.customer.number} {record.customer.name}"

    def render_assignee(self, value) -> str:
        return value.get_full_name() or value.get_username()

    def value_assignee(self, value) -> str:
        return value.get_full_name() or value.get_username() if value else ""

    def render_subject(self, record):
        """The subject; found by a text search, with the words marked and the passage of
        the description, a note or an e-mail they stand in (all of it escaped)."""
        snippet = search_snippet(record)
        if snippet is None:
            return record.subject
        if not snippet.place:
            return snippet.subject
        return format_html(
            '{}<div class="small text-body-secondary" data-testid="search-snippet">'
            '<span class="fw-semibold">{}</span> {}</div>',
            snippet.subject,
            SNIPPET_LABELS[snippet.place],
            snippet.excerpt,
        )

    def value_subject(self, record) -> str:
        return record.subject


# Where else than in the subject the searched words stand, as the case list says it.
SNIPPET_LABELS = {
    "description": _("Description:"),
    "notes": _("Note:"),
    "emails": _("E-mail:"),
}


class CallbackTable(BaseTable):
    case = tables.Column(
        verbose_name=_("Case"),
        accessor="case_id",
        order_by=("case_id",),
        linkify=("case_detail", {"pk": tables.A("case_id")}),
    )
    customer = tables.Column(
        verbose_name=_("Customer"), accessor="case__customer", order_by=("case__customer__name",)
    )
    support_plus = tables.BooleanColumn(verbose_name=_("Support+"), yesno="★,")
    # Each window on its own line (two windows are two windows, not one span from the first
    # start to the last end); the query prefetches them with the attempts. The list sorts
    # by the first window through this column; the first window's own column is only
    # exported (a date a spreadsheet can sort and filter).
    windows = tables.Column(
        verbose_name=_("Windows"), accessor="pk", order_by=("first_window_start", "id")
    )
    first_window_start = tables.DateTimeColumn(visible=False)
    attempts = tables.Column(
        verbose_name=_("Attempts"),
        accessor="pk",
        orderable=False,
        attrs={"td": {"class": "cell-min-10rem"}},  # no style="": the CSP refuses it
    )

    class Meta(BaseTable.Meta):
        model = Callback
        fields = [
            "support_plus",
            "case",
            "customer",
            "phone",
            "reason",
            "created_at",
            "first_window_start",
            "windows",
            "attempts",
            "status",
            "closed_at",
            "claimed_by",
        ]
        order_by = ("-windows",)
        orderable_fields = ("windows", "first_window_start", "created_at")

    def render_windows(self, record):
        lines = [window_text(w) for w in record.windows.all()]
        return format_html_join(
            "", '<div class="text-nowrap">{}</div>', ((line,) for line in lines)
        )

    def value_windows(self, record) -> str:
        return "; ".join(
            f"{localtime(w.starts_at):%d.%m.%Y %H:%M}–{localtime(w.ends_at):%H:%M}"
            for w in record.windows.all()
        )

    def render_attempts(self, record):
        rows = [
            (when(a.at), a.get_outcome_display(), f" · {a.note}" if a.note else "", _by(a.by))
            for a in record.attempts.all()
        ]
        if not rows:
            return "—"
        return format_html_join(
            "",
            '<div class="small">{} · <b>{}</b>{} <span class="text-body-secondary">{}</span></div>',
            rows,
        )

    def value_attempts(self, record) -> str:
        return "; ".join(
            f"{localtime(a.at):%d.%m.%Y %H:%M} {a.get_outcome_display()}"
            + (f": {a.note}" if a.note else "")
            for a in record.attempts.all()
        )

    def render_status(self, record, value):
        if record.status == CallbackStatus.OPEN and record.last_window_end < now():
            return format_html(
                '{} <span class="badge text-bg-danger">{}</span>', value, _("missed")
            )
        if record.status == CallbackStatus.CANCELLED and record.cancel_reason:
            return format_html(
                '{}<div class="small text-body-secondary">{}</div>', value, record.cancel_reason
            )
        return value

    def value_status(self, record, value):
        if record.status == CallbackStatus.CANCELLED and record.cancel_reason:
            return f"{value}: {record.cancel_reason}"
        return value

    def render_case(self, record) -> str:
        return record.case.reference

    def value_case(self, record) -> str:
        return record.case.reference

    def render_customer(self, record):
        return format_html("{} {}", record.case.customer.number, record.case.customer.name)

    def value_customer(self, record) -> str:
        return f"{record.case.customer.number} {record.case.customer.name}"
