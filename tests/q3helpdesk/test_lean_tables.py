"""The lists render their rows in Python (``BaseTable.rows_html``), not cell by cell
through django-tables2's template: the HTML must be the same, row for row, cell for cell.

Every list of the desk is requested as its users see it, with rows of every kind (a
reversal in the ledger, a draft beside an issued invoice, a cancelled and a missed
callback, a lead beside a case, a text search with its snippet, choices shown by their
label, dates, amounts, links, empty cells), in French and German; then the same table
object is rendered again with django-tables2's own template and the two bodies compared.
"""

from __future__ import annotations

import itertools
import re
from datetime import datetime, time
from decimal import Decimal

import django_tables2 as tables
import pytest
import time_machine
from django.contrib.auth.models import Group
from django.template import Context, Template
from django.utils import translation

from billing.services import usage_reverse
from cases.callbacks import callback_attempt, callback_cancel, callback_schedule
from cases.models import Case
from cases.services import case_create, time_entry_add
from q3helpdesk.roles import Role
from q3helpdesk.ui.tables import BaseTable
from tests.factories import CustomerFactory, UserFactory, make_usage, rental_customer
from tests.q3helpdesk.world import DESK_DAY, build_world

BUILT = datetime.combine(DESK_DAY, time(8, 0)).astimezone()
NOW = datetime.combine(DESK_DAY, time(17, 0)).astimezone()  # the 14–16 callback is missed
STOCK = Template(
    "{% load django_tables2 %}{% render_table table 'django_tables2/bootstrap5.html' %}"
)
TBODY = re.compile(r"<tbody[^>]*>(.*)</tbody>", re.S)


def body(html: str) -> str:
    """The rows of a rendered table, whitespace between tags removed."""
    match = TBODY.search(html)
    assert match, html[:300]
    return re.sub(r">\s+<", "><", match.group(1)).strip()


def stock_rows(table: BaseTable, request) -> str:
    table._counter = itertools.count()
    return body(STOCK.render(Context({"table": table, "request": request})))


@pytest.fixture
def desk(db):
    with time_machine.travel(BUILT, tick=False):
        build_world()
        customer = rental_customer(rent=Decimal("1440.00"), name="Müller & Fils <SA>")
        case = case_create(customer=customer, channel="email", subject="Décompte TVA « Q1 »")
        time_entry_add(case=case, activity="support", minutes=35, performed_on=DESK_DAY)
        lead = case_create(
            customer=CustomerFactory(name="Ancien Client"),
            channel="phone",
            subject="Passage",
            kind="lead",
        )
        assert lead.is_lead
        usage_reverse(usage=make_usage(customer, minutes=15, on=DESK_DAY))
        cancelled = callback_schedule(
            case=case,
            phone="+41 21 000 00 00",
            reason="Rappel",
            windows=[(DESK_DAY, time(9, 0), time(10, 0)), (DESK_DAY, time(15, 0), time(16, 0))],
        )
        callback_cancel(callback=cancelled, reason="A rappelé lui-même")
        overdue = callback_schedule(  # at NOW: the first window passed, the second runs
            case=case,
            phone="079 000 00 00",
            reason="Relance",
            windows=[(DESK_DAY, time(9, 0), time(10, 0)), (DESK_DAY, time(18, 0), time(19, 0))],
        )
        user = UserFactory(first_name="Sébastien", last_name="L'Eplattenier")
        callback_attempt(callback=overdue, outcome="voicemail", note="Combox <b>&</b>", user=user)
        callback_attempt(callback=overdue, outcome="busy", user=None)
        for role in (Role.SUPPORT, Role.BILLING, Role.MANAGER):
            user.groups.add(Group.objects.get(name=role.value))
        yield user


PAGES = [
    ("/cases/?status=", "table", 3),
    ("/cases/?status=&q=Lohnlauf", "table", 1),
    ("/callbacks/all/?status=", "table", 2),
    ("/billing/ledger/", "table", 3),
    ("/billing/grants/", "table", 1),
    ("/billing/invoices/", "table", 2),
    ("/customers/", "table", 3),
    ("/dashboard/?period=month", "top", 2),
    ("/dashboard/?period=month", "overdue", 1),
]


def squeezed(html) -> str:
    return re.sub(r">\s+<", "><", str(html)).strip()


@pytest.mark.parametrize("language", ["fr", "de"])
@pytest.mark.parametrize(("url", "name", "at_least"), PAGES)
def test_rows_are_the_ones_django_tables2_renders(client, desk, url, name, at_least, language):
    with time_machine.travel(NOW, tick=False):
        client.force_login(desk)
        response = client.get(url, headers={"accept-language": language})
        assert response.status_code == 200
        table = response.context["tables"][name] if name != "table" else response.context[name]
        assert len(table.page.object_list) >= at_least  # real rows, not two empty bodies
        with translation.override(language):
            table._counter = itertools.count()  # rows alternate odd/even from the first again
            lean = squeezed(table.rows_html())
            assert lean in squeezed(response.content.decode())  # what the page shows
            stock = stock_rows(table, response.wsgi_request)
            at = next((i for i, (a, b) in enumerate(zip(lean, stock, strict=False)) if a != b), 0)
            assert lean == stock, (lean[max(at - 80, 0) :][:300], stock[max(at - 80, 0) :][:300])


def test_an_empty_list_says_so(client, desk):
    client.force_login(desk)
    response = client.get("/cases/?status=&q=Inexistantissime", headers={"accept-language": "fr"})
    table = response.context["table"]
    assert len(table.page.object_list) == 0
    assert str(table.empty_text) in body(response.content.decode())


class _Odd(BaseTable):
    """Columns the desk's lists do not have, to take the lean rendering off its fast paths:
    a link with a text argument, dates in a format with names, a choice across a relation,
    a yes/no that may be empty, a method, a column of no field."""

    customer = tables.Column(
        accessor="customer__name",
        linkify=("customer_detail", {"number": tables.A("customer__name")}),
    )
    reference = tables.Column(accessor="pk", linkify=("case_detail", [tables.A("pk")]))
    opened = tables.DateTimeColumn(accessor="created_at", format="D j F Y, H:i")
    day = tables.DateColumn(accessor="opened_on")
    status = tables.Column(accessor="status")
    contact_language = tables.Column(accessor="customer__language")
    bug = tables.BooleanColumn(accessor="verified_bug_at", null=True)
    active = tables.Column(accessor="is_active")
    nothing = tables.Column(accessor="no_such_field", default="—")

    class Meta(BaseTable.Meta):
        model = Case
        fields = ["subject"]


@pytest.mark.parametrize("language", ["fr", "de"])
def test_columns_off_the_fast_paths_render_as_django_tables2(rf, desk, language):
    request = rf.get("/")
    with time_machine.travel(NOW, tick=False), translation.override(language):
        table = _Odd(Case.objects.select_related("customer").order_by("pk"))
        table.paginate(page=1, per_page=10)
        assert len(table.page.object_list) >= 2
        lean = squeezed(table.rows_html())
        assert lean == stock_rows(table, request)
        assert "/customers/M%C3%BCller%20&amp;%20Fils%20%3CSA%3E/" in lean  # reversed, quoted
