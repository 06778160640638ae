"""``as_cached_crispy_field`` and ``as_cached_crispy_form`` keep the HTML crispy-forms
renders for a field or form in a given state: what they give must be crispy-forms' HTML
for the state the field is in now (its value, errors, choices, language), never the HTML
of an earlier state.
"""

from __future__ import annotations

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field, as_crispy_form
from django.contrib.auth.models import Group
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from billing.filters import UsageFilter
from cases.filters import CallbackFilter, CaseFilter
from cases.forms import NoteForm, TimeEntryForm, VerifiedBugForm
from cases.models import Case
from customers.filters import CustomerFilter
from q3helpdesk.roles import Role
from q3helpdesk.templatetags import desk_forms
from q3helpdesk.templatetags.desk_forms import as_cached_crispy_field, as_cached_crispy_form
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FILTERS = [
    (CaseFilter, ""),
    (CaseFilter, "status=open&kind=lead&q=Lohn+%3Cb%3E&mine=on&assignee=1"),
    (CaseFilter, "created_from=2026-03-05&created_to=2026-03-01&channel=fax"),  # errors
    (CallbackFilter, "state=missed&support_plus=true&due_from=x"),
    (CustomerFilter, "eligible=false&variant=profi&city=Bern"),
    (UsageFilter, ""),
]


@pytest.fixture(autouse=True)
def fresh():
    desk_forms._rendered.clear()
    desk = Group.objects.get(name=Role.SUPPORT.value)
    UserFactory(username="anna").groups.add(desk)
    yield
    desk_forms._rendered.clear()


@pytest.mark.parametrize("language", ["fr", "de"])
@pytest.mark.parametrize(("filterset", "query"), FILTERS)
def test_a_filter_field_is_the_one_crispy_forms_renders(filterset, query, language):
    with translation.override(language):
        for _first, _again in ((1, 0), (0, 1)):  # rendered, then kept
            form = filterset(QueryDict(query), queryset=filterset._meta.model.objects.all()).form
            form.is_valid()
            for field in form:
                assert as_cached_crispy_field(field) == as_crispy_field(field), field.name
    assert desk_forms._rendered  # kept


def test_another_value_error_language_or_choice_is_rendered_anew():
    def status(query: str) -> str:
        form = CaseFilter(QueryDict(query), queryset=None).form
        form.is_valid()
        return as_cached_crispy_field(form["status"])

    open_ = status("status=open")
    assert 'value="open" selected' in open_
    assert 'value="closed" selected' in status("status=closed")
    assert status("status=open") == open_
    assert "is-invalid" in status("status=nonsense")
    with translation.override("de"):
        assert status("status=open") != open_

    def created_to(query: str) -> str:
        filterset = CaseFilter(QueryDict(query), queryset=Case.objects.all())
        filterset.qs  # noqa: B018 - the date range is checked as the rows are filtered
        return as_cached_crispy_field(filterset.form["created_to"])

    assert "is-invalid" not in created_to("created_to=2026-03-01")
    assert "is-invalid" in created_to("created_from=2026-03-05&created_to=2026-03-01")

    def assignees() -> str:
        form = CaseFilter(QueryDict(""), queryset=None).form
        return as_cached_crispy_field(form["assignee"])

    assert "bruno" not in assignees()
    UserFactory(username="bruno").groups.add(Group.objects.get(name=Role.SUPPORT.value))
    assert "bruno" in assignees()


def test_the_choices_of_a_model_choice_field_are_read_once():
    form = CaseFilter(QueryDict(""), queryset=None).form
    with CaptureQueriesContext(connection) as first:
        html = as_cached_crispy_field(form["assignee"])
    assert len(first) == 1 and "COUNT" not in first[0]["sql"] and "anna" in html
    form = CaseFilter(QueryDict(""), queryset=None).form
    with CaptureQueriesContext(connection) as again:
        assert as_cached_crispy_field(form["assignee"]) == html
    assert len(again) == 1  # the choices are part of what the field looks like


@pytest.mark.parametrize(
    "form",
    [
        lambda: NoteForm(),
        lambda: NoteForm({"text": ""}),
        lambda: VerifiedBugForm(initial={"bug_reference": "BUG-<1>"}),
        lambda: TimeEntryForm(initial={"activity": "support", "minutes": 5}),
    ],
)
def test_a_whole_form_is_the_one_crispy_forms_renders(form):
    for _ in range(2):
        assert as_cached_crispy_form(form()) == as_crispy_form(form())


def test_a_long_text_is_rendered_each_time():
    long = NoteForm({"text": "x" * 500})
    assert as_cached_crispy_form(long) == as_crispy_form(long)
    assert not desk_forms._rendered
