"""The search row of a case (``CaseSearch``) kept in step with the case without a rebuild:
the copy of the case's place in the search's order (urgent, opened), and a time entry's
note appended in one UPDATE that stores exactly what a rebuild stores (both databases).
"""

from datetime import UTC, date, datetime

import pytest
from django.db import connection

from cases.emails import email_send
from cases.models import URGENT, Case, CaseSearch, CaseStatus
from cases.search import (
    COLUMN_LIMIT,
    START,
    case_search_rebuild,
    case_search_refresh,
    case_search_time_note_added,
)
from cases.selectors import case_search
from cases.services import case_note_add, case_set_status, time_entry_add
from tests.factories import make_case
from tests.factories import support_plus as subscribe_support_plus

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)


@pytest.fixture
def anna(customer):
    """The customer's contact, registered for Support+: her cases are urgent while active."""
    anna = customer.contacts.get()
    subscribe_support_plus(customer, [anna])
    return anna


def found(q: str) -> list:
    return list(case_search(Case.objects.all(), q=q))


# --- the case's place in the order --------------------------------------------------------


def copied_order(case_ids) -> dict:
    """For each case: its URGENT and creation, as the case says and as its search row says."""
    cases = Case.objects.filter(pk__in=case_ids).annotate(urgent=URGENT)
    return {
        "case": {c.pk: (bool(c.urgent), c.created_at) for c in cases},
        "row": {
            r.case_id: (r.urgent, r.created_at)
            for r in CaseSearch.objects.filter(case_id__in=case_ids)
        },
    }


def test_the_search_row_keeps_the_case_order_in_step(customer, anna):
    """Every write of a case that changes its place in the order updates its search row."""
    vip = make_case(customer, contact=anna, subject="Support+")
    plain = make_case(customer, subject="Normal")
    waiting = make_case(customer, contact=anna, subject="Wartet")
    ids = [vip.pk, plain.pk, waiting.pk]
    order = copied_order(ids)
    assert order["row"] == order["case"]
    assert order["row"][vip.pk][0] and not order["row"][plain.pk][0]
    for case, status in [
        (waiting, CaseStatus.WAITING),
        (vip, CaseStatus.RESOLVED),
        (plain, CaseStatus.CLOSED),
        (vip, CaseStatus.OPEN),
        (waiting, CaseStatus.CLOSED),
    ]:
        case_set_status(case=case, status=status)
        order = copied_order(ids)
        assert order["row"] == order["case"], (case.subject, status)
    assert [order["row"][pk][0] for pk in ids] == [True, False, False]
    # A text written to the case copies them again; so does a rebuild.
    CaseSearch.objects.filter(case_id__in=ids).update(
        urgent=False, created_at=datetime(2000, 1, 1, tzinfo=UTC)
    )
    case_note_add(case=vip, text="Rückruf")
    assert copied_order([vip.pk])["row"] == copied_order([vip.pk])["case"]
    case_search_rebuild()
    assert copied_order(ids)["row"] == copied_order(ids)["case"]


# --- a time entry's note, appended ----------------------------------------------------------


def search_row(case) -> dict:
    """The search row of ``case`` as stored (PostgreSQL's document as its text)."""
    row = CaseSearch.objects.get(case=case)
    vector = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT vector::text FROM cases_casesearch WHERE case_id = %s", [case.pk]
            )
            vector = cursor.fetchone()[0]
    columns = ("config", "subject", "description", "notes", "emails", "urgent", "created_at")
    return {"vector": vector, **{name: getattr(row, name) for name in columns}}


def appended(case, note: str, django_assert_num_queries) -> dict:
    """The search row after a time entry with ``note``, appended in one query to the row
    as it stood before the entry, and the row a rebuild stores."""
    before = CaseSearch.objects.get(case=case)
    time_entry_add(case=case, activity="support", minutes=5, performed_on=DAY, note=note)
    before.save()  # the row as it stood, whatever time_entry_add wrote
    with django_assert_num_queries(1):
        case_search_time_note_added(case_id=case.pk, text=note)
    incremental = search_row(case)
    case_search_refresh(case=case)
    return {"appended": incremental, "rebuilt": search_row(case)}


def test_a_time_entry_note_appended_is_what_a_rebuild_stores(
    customer, anna, django_assert_num_queries
):
    """Internal notes, earlier time-entry notes and e-mails around it; the note goes last
    in ``notes`` and PostgreSQL's document is computed again."""
    case = make_case(customer, contact=anna, subject="Lohnlauf", description="Quellensteuer")
    rows = appended(case, "Erste Notiz ohne andere", django_assert_num_queries)
    assert rows["appended"] == rows["rebuilt"]
    assert rows["rebuilt"]["notes"] == "Erste Notiz ohne andere"
    case_note_add(case=case, text="Rückruf Treuhänder wegen Kontenplan")
    email_send(case=case, subject="Ihre Anfrage", body="Die Jahresrechnung folgt.")
    time_entry_add(case=case, activity="support", minutes=5, performed_on=DAY, note="Mandant")
    rows = appended(case, f"Bilanzierung {START}fertig", django_assert_num_queries)
    assert rows["appended"] == rows["rebuilt"]
    assert rows["rebuilt"]["notes"].endswith("Mandant\n\nBilanzierung fertig")
    if connection.vendor == "postgresql":
        assert "'bilanzier':" in rows["rebuilt"]["vector"]
    assert found("Bilanzierung") == [case]


def test_a_note_appended_to_full_notes_is_cut_as_a_rebuild_cuts(
    customer, django_assert_num_queries
):
    """The notes of a case hold 50 000 characters: a note that no longer fits is cut."""
    case = make_case(customer, subject="Lohnlauf")
    for _ in range(5):
        case_note_add(case=case, text=("Kontenplan " * 900).strip())
    # One more internal note, after which the notes end five characters short of the limit.
    last = COLUMN_LIMIT - 5 - len(CaseSearch.objects.get(case=case).notes) - 2
    case_note_add(case=case, text=("Mahnlauf " * 100)[: last - 1] + "x")
    assert len(CaseSearch.objects.get(case=case).notes) == COLUMN_LIMIT - 5
    rows = appended(case, "Bilanzierung", django_assert_num_queries)
    assert rows["appended"] == rows["rebuilt"]
    assert rows["rebuilt"]["notes"][-6:] == "x\n\nBil"  # cut at the limit
    rows = appended(case, "Nichts mehr", django_assert_num_queries)  # full: nothing more
    assert rows["appended"] == rows["rebuilt"]
    assert rows["rebuilt"]["notes"][-6:] == "x\n\nBil"


def test_a_note_for_a_case_without_search_row_builds_it(customer, django_assert_num_queries):
    """A case written in bulk and never indexed gets its whole row."""
    bulk = Case.objects.create(customer=customer, channel="phone", subject="Import", opened_on=DAY)
    time_entry_add(case=bulk, activity="support", minutes=5, performed_on=DAY, note="Bilanz")
    CaseSearch.objects.filter(case=bulk).delete()  # as before the entry
    case_search_time_note_added(case_id=bulk.pk, text="Bilanz")
    row = search_row(bulk)
    assert row["subject"] == "Import" and row["notes"] == "Bilanz"
    assert row["created_at"] == bulk.created_at
    assert found("Bilanz") == [bulk]
    with django_assert_num_queries(0):  # nothing to add
        case_search_time_note_added(case_id=bulk.pk, text=f" {START} ")
