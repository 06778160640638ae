"""The callback queue's rows and the customer page's cases are written in Python
(``cases/templatetags/desk_rows.py``), not by a template per row: they must read as the
templates wrote them.

``QUEUE_ROWS`` and ``CASE_ROWS`` are the rows as the templates wrote them before; each test
renders them and the Python rows with the same context and compares the two, whitespace
between tags aside (a browser shows a run of spaces and newlines as one space). The rows
cover every branch: Support+ or not, claimed or not, by whom, windows passed, running and
to come, in another year, attempts with and without note and author, no attempt; a lead,
a case with and without cost; texts with HTML in them; both languages; with and without
the right to work the callbacks.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from cases.callbacks import callback_attempt, callback_claim, callback_schedule
from cases.forms import AttemptForm, CallbackCancelForm
from cases.models import Callback, CallbackWindow, Case, InboundEmail
from cases.selectors import callbacks_due_count, callbacks_open, case_costs, inbox_waiting_count
from cases.selectors.callbacks import desk_badges
from cases.services import time_entry_add
from q3helpdesk.roles import Role
from tests.factories import (
    CustomerFactory,
    UserFactory,
    make_case,
    no_credit_customer,
    rental_customer,
)

pytestmark = pytest.mark.django_db

ZURICH = ZoneInfo("Europe/Zurich")
TODAY = date(2026, 3, 2)  # 09:30 in tests/cases (conftest)
HOSTILE = "<script>alert('x')</script> & \"Q\""

QUEUE_ROWS = Template(
    """{% load i18n when %}
  {% for cb in rows %}
    <tr data-testid="callback-row" data-callback="{{ cb.pk }}"{% if cb.support_plus %} class="table-warning"{% endif %}>
      <td>{% if cb.support_plus %}<span class="badge text-bg-warning">★ Support+</span>{% endif %}</td>
      <td><a href="{% url 'case_detail' cb.case_id %}">{{ cb.case.reference }}</a> · {{ cb.case.customer.name }}
        <div class="small text-body-secondary text-break">{{ cb.reason }}</div></td>
      <td class="text-nowrap"><a href="tel:{{ cb.phone }}">{{ cb.phone }}</a></td>
      <td class="text-nowrap">
        {% for w in cb.windows.all %}
          <div class="{% if w.ends_at < now %}text-danger text-decoration-line-through{% elif w.starts_at <= now %}fw-semibold text-success{% endif %}" data-testid="window">
            {{ w|window }}{% if w.starts_at <= now and w.ends_at >= now %} · {% translate "now" %}{% endif %}
          </div>
        {% endfor %}
      </td>
      <td>{% if cb.claimed_by %}<span data-testid="claimed-by">{{ cb.claimed_by.get_full_name|default:cb.claimed_by.username }}</span>
        {% if can_work %}<form method="post" action="{% url 'callback_release' cb.pk %}" class="d-inline">{% csrf_token %}<input type="hidden" name="back" value="{{ back|default:'queue' }}"><button class="btn btn-sm btn-link p-0 ms-1" type="submit" data-testid="release" title="{% translate 'Give it back to the queue' %}">{% translate "Release" %}</button></form>{% endif %}
        {% elif can_work %}
        <form method="post" action="{% url 'callback_claim' cb.pk %}">{% csrf_token %}<input type="hidden" name="back" value="{{ back|default:'queue' }}"><button class="btn btn-sm btn-outline-primary" type="submit" data-testid="claim">{% translate "Claim" %}</button></form>{% endif %}</td>
      <td class="small" data-testid="attempts">
        {% for a in cb.attempts.all %}
          <div data-testid="attempt"><span class="text-nowrap">{{ a.at|when }}</span> · <span class="fw-semibold">{{ a.get_outcome_display }}</span>{% if a.note %} · <span class="text-break">{{ a.note }}</span>{% endif %}{% if a.by %} <span class="text-body-secondary">({{ a.by.get_full_name|default:a.by.username }})</span>{% endif %}</div>
        {% empty %}<span class="text-body-secondary">—</span>
        {% endfor %}
      </td>
      <td>
        {% if can_work %}
        <form method="post" action="{% url 'callback_attempt' cb.pk %}" class="d-flex flex-wrap gap-1" data-testid="attempt-form">
          {% csrf_token %}<input type="hidden" name="back" value="{{ back|default:'queue' }}">
          <label class="visually-hidden" for="outcome-{{ cb.pk }}">{% translate "Outcome" %}</label>
          <select name="outcome" id="outcome-{{ cb.pk }}" class="form-select form-select-sm w-auto" required>
            {% for value, label in attempt_form.fields.outcome.choices %}<option value="{{ value }}">{{ label }}</option>{% endfor %}
          </select>
          <label class="visually-hidden" for="note-{{ cb.pk }}">{% translate "Note" %}</label>
          <input type="text" name="note" id="note-{{ cb.pk }}" maxlength="200" class="form-control form-control-sm field-note" placeholder="{% translate 'Note' %}">
          <button class="btn btn-sm btn-primary" type="submit">{% translate "Log" %}</button>
        </form>
        <details class="mt-1" data-testid="cancel">
          <summary class="small text-body-secondary">{% translate "Cancel…" %}</summary>
          <form method="post" action="{% url 'callback_cancel' cb.pk %}" class="d-flex flex-wrap gap-1 mt-1" data-testid="cancel-form">
            {% csrf_token %}<input type="hidden" name="back" value="{{ back|default:'queue' }}">
            <label class="visually-hidden" for="cancel-{{ cb.pk }}">{% translate "Reason for cancelling" %}</label>
            <input type="text" name="reason" id="cancel-{{ cb.pk }}" maxlength="200" required class="form-control form-control-sm field-reason" placeholder="{{ cancel_form.reason.field.widget.attrs.placeholder }}">
            <button class="btn btn-sm btn-outline-danger text-nowrap" type="submit">{% translate "Cancel the callback" %}</button>
          </form>
        </details>
        {% endif %}
      </td>
    </tr>
  {% endfor %}
"""  # noqa: E501 - the template as it was
)
CASE_ROWS = Template(
    """{% load i18n desk dashboard %}
  {% for case in cases %}
    {% with cost=costs|get_item:case.reference %}
    <tr{% if case.support_plus %} class="table-warning"{% endif %}>
      <td><a href="{% url 'case_detail' case.pk %}">{{ case.reference }}</a>{% if case.support_plus %} <span class="badge text-bg-warning">Support+</span>{% endif %}{% if case.is_lead %} <span class="badge text-bg-info">{% translate "lead" %}</span>{% endif %}</td>
      <td>{{ case.created_at|date:"d.m.Y" }}</td>
      <td>{{ case.subject }}</td>
      <td>{{ case.get_status_display }}</td>
      <td class="text-end">{{ cost.charged|default:0 }} min</td>
      <td class="text-end">{{ cost.billable|default:0 }} min</td>
      <td class="text-end">{% figure cost.amount|default:0 "amount" %}</td>
    </tr>
    {% endwith %}
  {% endfor %}
"""  # noqa: E501 - the template as it was
)


def squeezed(html) -> str:
    """The HTML as a browser reads it: each run of whitespace one space, none at the ends."""
    return re.sub(r"\s+", " ", str(html)).strip()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZURICH)


@pytest.fixture
def queue():
    """Three callbacks with every kind of window, attempt and holder."""
    holder = UserFactory(first_name="Sébastien", last_name="L'Eplattenier")
    nameless = UserFactory(first_name="", last_name="", username="guichet<2>")
    customer = rental_customer(name=f"Müller {HOSTILE}")
    urgent = callback_schedule(
        case=make_case(customer),
        phone="079 123 45 67",
        reason=HOSTILE,
        windows=[(TODAY, time(9, 0), time(10, 0)), (TODAY + timedelta(days=1), time(8), time(9))],
    )
    CallbackWindow.objects.create(callback=urgent, starts_at=at(TODAY, 7), ends_at=at(TODAY, 8))
    Callback.objects.filter(pk=urgent.pk).update(support_plus=True)
    callback_claim(callback=urgent, user=holder)
    callback_attempt(callback=urgent, outcome="voicemail", note=f"Combox {HOSTILE}", user=holder)
    callback_attempt(callback=urgent, outcome="busy", user=nameless)
    callback_attempt(callback=urgent, outcome="no_answer", note="", user=None)
    plain = callback_schedule(
        case=make_case(),
        phone="+41 31 381 22 10",
        reason="Lohnlauf",
        windows=[(date(2027, 1, 4), time(14, 0), time(16, 0))],
    )
    CallbackWindow.objects.create(  # over midnight, from last year
        callback=plain, starts_at=at(date(2025, 12, 31), 22), ends_at=at(date(2026, 1, 1), 1)
    )
    claimed_by_nameless = callback_schedule(
        case=make_case(), phone="0313812210", reason="Rappel", windows=[(TODAY, time(15), time(16))]
    )
    callback_claim(callback=claimed_by_nameless, user=nameless)
    return list(callbacks_open())


@pytest.mark.parametrize("language", ["fr", "de"])
@pytest.mark.parametrize("can_work", [True, False])
@pytest.mark.parametrize("back", [None, "home"])
def test_queue_rows_are_the_templates(queue, language, can_work, back):
    assert len(queue) == 3
    with translation.override(language):
        context = {
            "rows": queue,
            "now": at(TODAY, 9, 30),
            "can_work": can_work,
            "attempt_form": AttemptForm(),
            "cancel_form": CallbackCancelForm(),
            "csrf_token": "t0ken",
            **({"back": back} if back else {}),
        }
        before = QUEUE_ROWS.render(Context(context))
        rows = Template("{% load desk_rows %}{% callback_rows rows %}").render(Context(context))
    assert squeezed(rows) == squeezed(before)
    assert HOSTILE not in rows and "&lt;script&gt;" in rows  # the texts are escaped
    assert rows.count('data-testid="attempt"') == 3
    assert rows.count("· " + ("maintenant" if language == "fr" else "jetzt")) == 1


def test_no_callback_no_row():
    rendered = Template("{% load desk_rows %}{% callback_rows rows %}").render(
        Context({"rows": [], "now": at(TODAY, 9, 30)})
    )
    assert rendered == ""


def test_the_queue_page_shows_the_rows_and_says_when_there_are_none(client, user_with_role, queue):
    client.force_login(user_with_role(Role.SUPPORT))
    html = client.get("/callbacks/", headers={"accept-language": "de"}).content.decode()
    assert html.count('data-testid="callback-row"') == 3
    assert "Kein verpasster Rückruf." in html
    assert html.count('data-testid="attempt-form"') == 3


@pytest.fixture
def cases():
    customer = no_credit_customer(name="Fiduciaire")  # every minute billable
    urgent = make_case(customer, subject=f"Décompte {HOSTILE}")
    Case.objects.filter(pk=urgent.pk).update(support_plus=True)
    time_entry_add(case=urgent, activity="support", minutes=35, performed_on=TODAY)
    closed = make_case(customer, subject="Clôture")
    Case.objects.filter(pk=closed.pk).update(status="closed")
    lead = make_case(CustomerFactory(name="Ancien client"), subject="Passage", kind="lead")
    return [*Case.objects.filter(customer=customer).order_by("-pk"), lead]


@pytest.mark.parametrize("language", ["fr", "de"])
def test_case_rows_are_the_templates(cases, language):
    costs = case_costs(cases)
    assert len(cases) == 3 and len(costs) == 1 and cases[-1].is_lead
    with translation.override(language):
        context = {"cases": cases, "costs": costs}
        before = CASE_ROWS.render(Context(context))
        rows = Template("{% load desk_rows %}{% case_rows cases costs %}").render(Context(context))
    assert squeezed(rows) == squeezed(before)
    assert "35 min" in rows and ("prospect" if language == "fr" else "Lead") in rows
    assert HOSTILE not in rows and "&lt;script&gt;" in rows


def test_the_customer_page_lists_its_cases(client, user_with_role, cases):
    client.force_login(user_with_role(Role.INFOLINE))
    html = client.get(f"/customers/{cases[0].customer.number}/").content.decode()
    for case in cases[:2]:
        assert f'<a href="/cases/{case.pk}/">{case.reference}</a>' in html


def test_the_list_of_callbacks_escapes_what_was_typed(client, user_with_role, queue):
    client.force_login(user_with_role(Role.SUPPORT))
    html = client.get("/callbacks/all/", {"status": ""}).content.decode()
    assert HOSTILE not in html and "<script>" not in html
    escaped = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;Q&quot;"
    assert f"Combox {escaped}" in html  # the attempt's note
    assert f"Müller {escaped}" in html  # the customer's name
    assert "(Sébastien L&#x27;Eplattenier)" in html and "(guichet&lt;2&gt;)" in html
    assert '<div class="text-nowrap">mer 31.12.2025 22:00–01.01. 01:00</div>' in html


@pytest.mark.parametrize("rows", [1, 30])
def test_the_list_of_callbacks_query_budget(
    client, user_with_role, django_assert_max_num_queries, rows
):
    holder = UserFactory(first_name="Sébastien")
    case = make_case()
    for n in range(rows):
        callback = callback_schedule(
            case=case,
            phone="031 381 22 10",
            reason=f"Rappel {n}",
            windows=[(TODAY, time(15), time(16))],
        )
        callback_claim(callback=callback, user=holder)
        callback_attempt(callback=callback, outcome="busy", note="Combox", user=holder)
    client.force_login(user_with_role(Role.SUPPORT))
    # The rows, their windows, their attempts; the count; the navigation's two counts.
    with django_assert_max_num_queries(11):
        html = client.get("/callbacks/all/", {"status": ""}).content.decode()
    assert html.count("Combox") == rows


@pytest.mark.parametrize(
    "when", [at(TODAY, 6), at(TODAY, 9, 30), at(TODAY, 23), at(date(2026, 3, 25), 12)]
)
def test_the_navigations_badges_are_the_two_counts(queue, when):
    InboundEmail.objects.create(
        message_id="<1@x.example>", status="inbox", from_address="a@x.example", raw="m.eml"
    )
    due, waiting = desk_badges(when)
    assert (due, waiting) == (callbacks_due_count(when), inbox_waiting_count())
    assert waiting == 1


@pytest.mark.parametrize("query", [{"page": "2"}, {"page": "2", "sort": "windows"}])
def test_a_page_of_the_list_of_callbacks_is_read_by_its_ids_first(client, user_with_role, query):
    case = make_case()
    for n in range(60):
        day = TODAY + timedelta(days=n % 7)
        callback_schedule(
            case=case, phone="031 381 22 10", reason=f"R{n}", windows=[(day, time(15), time(16))]
        )
    client.force_login(user_with_role(Role.SUPPORT))
    with CaptureQueriesContext(connection) as queries:
        table = client.get("/callbacks/all/", {"status": "", **query}).context["table"]
    shown = [row.record.pk for row in table.page.object_list]
    order = ("first_window_start", "id") if "sort" in query else ("-first_window_start", "-id")
    assert shown == list(Callback.objects.order_by(*order).values_list("pk", flat=True)[50:60])
    assert any("IN (SELECT" in q["sql"] and "LIMIT 10 OFFSET 50" in q["sql"] for q in queries)
