"""Rows of the desk's pages written in Python: ``{% callback_rows rows %}`` for the
callback queue (``cases/_callback_rows.html``), ``{% case_rows cases costs %}`` for the
customer page's cases (``cases/_case_rows.html``).

The queue shows up to a hundred callbacks, each with its windows, its attempts, who
claimed it and the forms to claim, log an attempt and cancel: as template code that is
some eighty template nodes a row (four ``{% url %}``, three ``{% csrf_token %}``, the
outcome choices, ten translations), 40 ms a page. Here a row is written in Python: what
is the same on every row (the translated words, the outcome options, the CSRF field, the
URLs but for the number) is made once per page, and every value of the row is escaped
as the template escapes it. Translated words are not escaped, as ``{% translate %}``
does not escape the translations of its literal strings.

The customer page lists up to sixty cases, seven cells each: the same reasoning.

The HTML is the template's, but for the whitespace between tags.
"""

from __future__ import annotations

from html import escape

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.utils import timezone
from django.utils.formats import localize
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from q3helpdesk.templatetags.dashboard import figure
from q3helpdesk.ui.rendering import NumberedUrl, phone_text

from ..models import CaseStatus
from ..selectors.callbacks import attempts_of, windows_of
from .when import clock, when_text, window_text

register = template.Library()


def _name(user) -> str:
    """``{{ user.get_full_name|default:user.username }}``."""
    return user.get_full_name() or user.username


class _Page:
    """What every row of one page of the queue shares."""

    def __init__(self, context) -> None:
        self.now = context.get("now")
        self.can_work = bool(context.get("can_work"))
        self.clock = clock()
        self.csrf = CsrfTokenNode().render(context)
        back = context.get("back") or "queue"
        self.back = f'<input type="hidden" name="back" value="{escape(str(back))}">'
        self.case_url = NumberedUrl("case_detail", args=1)
        self.claim_url = NumberedUrl("callback_claim", args=1)
        self.release_url = NumberedUrl("callback_release", args=1)
        self.attempt_url = NumberedUrl("callback_attempt", args=1)
        self.cancel_url = NumberedUrl("callback_cancel", args=1)
        attempt_form, cancel_form = context.get("attempt_form"), context.get("cancel_form")
        choices = attempt_form.fields["outcome"].choices if attempt_form else ()
        self.options = "".join(
            f'<option value="{escape(str(value))}">{escape(str(label))}</option>'
            for value, label in choices
        )
        placeholder = (
            cancel_form.fields["reason"].widget.attrs.get("placeholder", "") if cancel_form else ""
        )
        self.placeholder = escape(str(placeholder))
        self.words = {  # the template's {% translate %} words, looked up once
            "now": _("now"),
            "Give it back to the queue": _("Give it back to the queue"),
            "Release": _("Release"),
            "Claim": _("Claim"),
            "Outcome": _("Outcome"),
            "Note": _("Note"),
            "Log": _("Log"),
            "Cancel…": _("Cancel…"),
            "Reason for cancelling": _("Reason for cancelling"),
            "Cancel the callback": _("Cancel the callback"),
        }

    def row(self, cb) -> str:
        pk, sp = cb.pk, cb.support_plus
        css = ' class="table-warning"' if sp else ""
        badge = '<span class="badge text-bg-warning">★ Support+</span>' if sp else ""
        phone = escape(phone_text(cb.phone))
        return (
            f'<tr data-testid="callback-row" data-callback="{pk}"{css}>\n'
            f"<td>{badge}</td>\n"
            f'<td><a href="{escape(self.case_url(cb.case_id))}">{escape(cb.case.reference)}</a>'
            f" · {escape(cb.case.customer.name)}\n"
            f'<div class="small text-body-secondary text-break">{escape(cb.reason)}</div></td>\n'
            f'<td class="text-nowrap"><a href="tel:{phone}">{phone}</a></td>\n'
            f'<td class="text-nowrap">\n{self.windows(cb)}</td>\n'
            f"<td>{self.claim(cb)}</td>\n"
            f'<td class="small" data-testid="attempts">\n{self.attempts(cb)}</td>\n'
            f"<td>\n{self.actions(pk) if self.can_work else ''}</td>\n"
            "</tr>"
        )

    def windows(self, cb) -> str:
        now, lines = self.now, []
        for w in windows_of(cb):
            if w.ends_at < now:
                css = "text-danger text-decoration-line-through"
            elif w.starts_at <= now:
                css = "fw-semibold text-success"
            else:
                css = ""
            running = f" · {self.words['now']}" if w.starts_at <= now <= w.ends_at else ""
            text = escape(window_text(w, self.clock))
            lines.append(f'<div class="{css}" data-testid="window">\n{text}{running}\n</div>\n')
        return "".join(lines)

    def claim(self, cb) -> str:
        words, pk = self.words, cb.pk
        if cb.claimed_by:
            holder = f'<span data-testid="claimed-by">{escape(_name(cb.claimed_by))}</span>\n'
            if not self.can_work:
                return holder
            return (
                f'{holder}<form method="post" action="{escape(self.release_url(pk))}"'
                f' class="d-inline">{self.csrf}{self.back}<button class="btn btn-sm btn-link'
                f' p-0 ms-1" type="submit" data-testid="release"'
                f' title="{words["Give it back to the queue"]}">{words["Release"]}</button>'
                "</form>\n"
            )
        if not self.can_work:
            return ""
        return (
            f'\n<form method="post" action="{escape(self.claim_url(pk))}">{self.csrf}'
            f'{self.back}<button class="btn btn-sm btn-outline-primary" type="submit"'
            f' data-testid="claim">{words["Claim"]}</button></form>'
        )

    def attempts(self, cb) -> str:
        lines = []
        for a in attempts_of(cb):
            note = f' · <span class="text-break">{escape(a.note)}</span>' if a.note else ""
            by = ""
            if a.by:
                by = f' <span class="text-body-secondary">({escape(_name(a.by))})</span>'
            lines.append(
                f'<div data-testid="attempt"><span class="text-nowrap">'
                f"{escape(when_text(a.at, self.clock))}</span> · "
                f'<span class="fw-semibold">{escape(a.get_outcome_display())}</span>'
                f"{note}{by}</div>\n"
            )
        return "".join(lines) or '<span class="text-body-secondary">—</span>\n'

    def actions(self, pk) -> str:
        words = self.words
        return (
            f'<form method="post" action="{escape(self.attempt_url(pk))}"'
            ' class="d-flex flex-wrap gap-1" data-testid="attempt-form">\n'
            f"{self.csrf}{self.back}\n"
            f'<label class="visually-hidden" for="outcome-{pk}">{words["Outcome"]}</label>\n'
            f'<select name="outcome" id="outcome-{pk}"'
            ' class="form-select form-select-sm w-auto" required>\n'
            f"{self.options}\n"
            "</select>\n"
            f'<label class="visually-hidden" for="note-{pk}">{words["Note"]}</label>\n'
            f'<input type="text" name="note" id="note-{pk}" maxlength="200"'
            ' class="form-control form-control-sm field-note"'
            f' placeholder="{words["Note"]}">\n'
            f'<button class="btn btn-sm btn-primary" type="submit">{words["Log"]}</button>\n'
            "</form>\n"
            '<details class="mt-1" data-testid="cancel">\n'
            f'<summary class="small text-body-secondary">{words["Cancel…"]}</summary>\n'
            f'<form method="post" action="{escape(self.cancel_url(pk))}"'
            ' class="d-flex flex-wrap gap-1 mt-1" data-testid="cancel-form">\n'
            f"{self.csrf}{self.back}\n"
            f'<label class="visually-hidden" for="cancel-{pk}">'
            f"{words['Reason for cancelling']}</label>\n"
            f'<input type="text" name="reason" id="cancel-{pk}" maxlength="200" required'
            ' class="form-control form-control-sm field-reason"'
            f' placeholder="{self.placeholder}">\n'
            '<button class="btn btn-sm btn-outline-danger text-nowrap" type="submit">'
            f"{words['Cancel the callback']}</button>\n"
            "</form>\n"
            "</details>\n"
        )


@register.simple_tag(takes_context=True)
def callback_rows(context, rows) -> SafeString:
    """The ``<tr>`` of the callbacks ``rows``, one per line; nothing for no rows."""
    page = _Page(context)
    return SafeString("".join(f"\n{page.row(cb)}" for cb in rows) + "\n" if rows else "")


@register.simple_tag
def case_rows(cases, costs) -> SafeString:
    """The ``<tr>`` of ``cases`` with their cost (``costs`` by reference); nothing for
    no cases."""
    if not cases:
        return SafeString("")
    url, lead = NumberedUrl("case_detail", args=1), _("lead")
    tz = timezone.get_current_timezone()
    statuses = {value: str(label) for value, label in CaseStatus.choices}
    rows = []
    for case in cases:
        cost = (costs.get(case.reference) if costs else None) or {}
        sp = case.support_plus
        css = ' class="table-warning"' if sp else ""
        badges = ' <span class="badge text-bg-warning">Support+</span>' if sp else ""
        if case.is_lead:
            badges += f' <span class="badge text-bg-info">{lead}</span>'
        # {{ case.created_at|date:"d.m.Y" }}, of the local time as the filter wants it.
        day = timezone.localtime(case.created_at, tz)
        opened = f"{day.day:02d}.{day.month:02d}.{day.year:04d}"
        status = statuses.get(case.status) or case.get_status_display()
        rows.append(
            f"\n<tr{css}>\n"
            f'<td><a href="{escape(url(case.pk))}">{escape(case.reference)}</a>{badges}</td>\n'
            f"<td>{escape(opened)}</td>\n"
            f"<td>{escape(case.subject)}</td>\n"
            f"<td>{escape(status)}</td>\n"
            f'<td class="text-end">{escape(str(localize(cost.get("charged") or 0)))} min</td>\n'
            f'<td class="text-end">{escape(str(localize(cost.get("billable") or 0)))} min</td>\n'
            f'<td class="text-end">{escape(figure(cost.get("amount") or 0, "amount"))}</td>\n'
            "</tr>\n"
        )
    return SafeString("".join(rows))
