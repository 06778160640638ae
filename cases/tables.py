from functools import cached_property
from html import escape

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timezone import localtime, now
from django.utils.translation import gettext_lazy as _

from q3helpdesk.ui.rendering import phone_text
from q3helpdesk.ui.tables import BaseTable

from .models import AttemptOutcome, Callback, CallbackStatus, Case
from .selectors import search_snippet
from .selectors.callbacks import attempts_of, windows_of
from .templatetags.when import clock, when_text, window_text


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

    # What is the same for every row of the page: the time zone and the year (shown
    # only for another year), the outcomes' labels in the page's language, "missed".
    @cached_property
    def _clock(self):
        return clock()

    @cached_property
    def _outcomes(self) -> dict[str, str]:
        return {value: str(label) for value, label in AttemptOutcome.choices}

    @cached_property
    def _now(self):
        return now()

    @cached_property
    def _missed(self):
        return format_html('<span class="badge text-bg-danger">{}</span>', _("missed"))

    # The windows and attempts of fifty rows: the texts escaped as format_html_join does,
    # without its lazy-text checks for every argument.
    def render_windows(self, record):
        return SafeString(
            "".join(
                f'<div class="text-nowrap">{escape(window_text(w, self._clock))}</div>'
                for w in windows_of(record)
            )
        )

    def render_phone(self, value) -> str:
        return phone_text(value)

    def value_phone(self, value) -> str:
        return str(value)

    def value_windows(self, record) -> str:
        return "; ".join(
            f"{localtime(w.starts_at):%d.%m.%Y %H:%M}–{localtime(w.ends_at):%H:%M}"
            for w in windows_of(record)
        )

    def render_attempts(self, record):
        outcomes = self._outcomes
        rows = [
            f'<div class="small">{escape(when_text(a.at, self._clock))} · '
            f"<b>{escape(outcomes.get(a.outcome, a.outcome))}</b>"
            f"{escape(f' · {a.note}' if a.note else '')} "
            f'<span class="text-body-secondary">{escape(_by(a.by))}</span></div>'
            for a in attempts_of(record)
        ]
        return SafeString("".join(rows)) if rows else "—"

    def value_attempts(self, record) -> str:
        return "; ".join(
            f"{localtime(a.at):%d.%m.%Y %H:%M} {a.get_outcome_display()}"
            + (f": {a.note}" if a.note else "")
            for a in attempts_of(record)
        )

    def render_status(self, record, value):
        if record.status == CallbackStatus.OPEN and record.last_window_end < self._now:
            return format_html("{} {}", value, self._missed)
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
