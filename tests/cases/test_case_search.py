"""The case list: the desk's working view and the text search of cases (issue 14, item 4).

The search reads one row of texts per case (``CaseSearch``) that the services keep up to
date; PostgreSQL searches it with its full-text search in the customer's language, SQLite
with a plain match of every word. Tests marked ``postgresql`` check what only the real
search does (stemming, accents, the GIN index); the others hold on both databases.
"""

from datetime import date
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.emails import email_send
from cases.inbound import mail_file
from cases.models import Case, CaseSearch, CaseStatus
from cases.search import case_search_rebuild
from cases.selectors import lists
from cases.services import case_note_add, case_set_status, time_entry_add
from q3helpdesk.roles import Role
from tests.factories import make_case, rental_customer
from tests.factories import support_plus as subscribe_support_plus

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)


@pytest.fixture
def isabelle(user_with_role):
    return user_with_role(Role.INFOLINE, username="isabelle")


@pytest.fixture
def desk(client, isabelle):
    client.force_login(isabelle)
    return client


def found(client, q, **params):
    """The cases the list shows for ``q``, in its order."""
    response = client.get("/cases/", {"q": q, **params})
    assert response.status_code == 200
    return [row.record for row in response.context["table"].page.object_list]


def incoming(case, *, subject, text) -> None:
    """A message of the customer's contact answering the case, through the mail intake."""
    msg = EmailMessage()
    msg["From"] = "Anna Keller <anna@keller.example>"
    msg["To"] = "support@q3software.example"
    msg["Subject"] = f"AW: {subject} [{case.reference}]"
    msg["Date"] = format_datetime(timezone.now())
    msg["Message-ID"] = make_msgid(domain="keller.example")
    msg.set_content(text)
    assert mail_file(raw=msg.as_bytes()).email.case == case


# --- every text is searched --------------------------------------------------------------


def test_every_text_of_a_case_is_found_with_its_passage(desk, customer):
    """Subject, description, internal note, time-entry note, e-mails in and out."""
    case = make_case(customer, subject="Lohnlauf bricht ab", description="Ausdruck Quellensteuer")
    case_note_add(case=case, text="Rückruf Treuhänder wegen Kontenplan")
    time_entry_add(
        case=case, activity="support", minutes=5, performed_on=DAY, note="Mandant Bilanzierung"
    )
    email_send(case=case, subject="Ihre Anfrage Lohnausweis", body="Die Jahresrechnung folgt.")
    incoming(case, subject="Lohnausweis", text="Die Debitorenliste fehlt noch.")
    other = make_case(customer, subject="Anderes Thema")

    for word, place in [
        ("Lohnlauf", None),  # the subject: marked in the subject itself
        ("Quellensteuer", "Description"),
        ("Kontenplan", "Note"),
        ("Bilanzierung", "Note"),
        ("Jahresrechnung", "E-mail"),
        ("Debitorenliste", "E-mail"),
    ]:
        response = desk.get("/cases/", {"q": word}, HTTP_ACCEPT_LANGUAGE="en")
        rows = [row.record for row in response.context["table"].page.object_list]
        assert rows == [case], word
        html = response.content.decode()
        assert f"<mark>{word}</mark>" in html, word
        if place:
            assert f'<span class="fw-semibold">{place}:</span>' in html, word
    assert found(desk, "Thema") == [other]
    assert found(desk, "Nirgends") == []


def test_all_words_must_match_in_any_order(desk, customer):
    both = make_case(customer, subject="Schreinerei Keller", description="Lohnlauf im März")
    make_case(customer, subject="Schreinerei Keller")
    assert found(desk, "lohnlauf schreinerei") == [both]


def test_a_subject_match_ranks_above_a_body_match(desk, customer):
    in_subject = make_case(customer, subject="Mahnlauf druckt nicht")
    in_note = make_case(customer, subject="Frage")  # newer, yet found only in a note
    case_note_add(case=in_note, text="Mahnlauf " * 5)
    in_email = make_case(customer, subject="Noch eine Frage")
    email_send(case=in_email, subject="Antwort", body="Der Mahnlauf ist erledigt.")
    assert found(desk, "Mahnlauf") == [in_subject, in_note, in_email]
    # A click on a column sorts by it instead.
    assert found(desk, "Mahnlauf", sort="reference") == [in_subject, in_note, in_email]
    assert found(desk, "Mahnlauf", sort="-reference") == [in_email, in_note, in_subject]


def test_search_covers_closed_cases_and_combines_with_filters(desk, customer):
    closed = make_case(customer, subject="Lohnlauf 2025")
    case_set_status(case=closed, status=CaseStatus.CLOSED)
    current = make_case(customer, subject="Lohnlauf 2026")
    assert set(found(desk, "Lohnlauf")) == {closed, current}
    assert found(desk, "Lohnlauf", status="active") == [current]
    assert found(desk, "Lohnlauf", status="closed") == [closed]


def test_a_snippet_with_markup_is_escaped(desk, customer):
    case = make_case(customer, subject="<b>Lohnlauf</b> & Co")
    case_note_add(case=case, text='<script>alert("x")</script> Kontenplan <img src=x onerror=1>')
    html = desk.get("/cases/", {"q": "Kontenplan"}).content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "<mark>Kontenplan</mark>" in html
    if connection.vendor == "sqlite":  # PostgreSQL's excerpt leaves markup out altogether
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; <mark>Kontenplan</mark>" in html
    html = desk.get("/cases/", {"q": "Lohnlauf"}).content.decode()
    assert "<b>" not in html and "&lt;b&gt;<mark>Lohnlauf</mark>&lt;/b&gt; &amp; Co" in html


def test_an_empty_or_punctuation_query_finds_nothing_and_breaks_nothing(desk, customer):
    make_case(customer, subject="Lohnlauf")
    assert len(found(desk, "   ")) == 1  # no text: no search (the other filters apply)
    for q in ("!!!", "'", '"', "&|!:*", "-", "x" * 500):
        assert found(desk, q) == [], q


def test_the_export_has_the_plain_subject(desk, customer):
    make_case(customer, subject="Lohnlauf <bricht> ab")
    csv = desk.get("/cases/", {"q": "Lohnlauf", "_export": "csv"}).content.decode()
    assert "Lohnlauf <bricht> ab" in csv and "<mark>" not in csv


def test_rebuild_indexes_cases_written_in_bulk(desk, customer):
    """The demo data and imports write cases without the services: a rebuild finds them."""
    bulk = Case.objects.create(
        customer=customer, channel="phone", subject="Importiert Lohnlauf", opened_on=DAY
    )
    assert found(desk, "Importiert") == []
    assert case_search_rebuild() == 1
    assert found(desk, "Importiert") == [bulk]
    row = CaseSearch.objects.get(case=bulk)
    assert row.config == "q3_german" and row.subject == "Importiert Lohnlauf"


def test_the_search_row_follows_the_customer_language(customer):
    french = rental_customer(number="10002", language="fr")
    assert CaseSearch.objects.get(case=make_case(french, subject="Frage")).config == "q3_french"
    assert CaseSearch.objects.get(case=make_case(customer, subject="Frage")).config == "q3_german"


def test_pages_need_a_desk_role(client, user_with_role, customer):
    make_case(customer, subject="Lohnlauf")
    assert client.get("/cases/?q=Lohnlauf")["Location"].startswith("/accounts/login/")
    client.force_login(user_with_role(None))
    assert client.get("/cases/?q=Lohnlauf").status_code == 403
    client.force_login(user_with_role(Role.MANAGER))
    assert client.get("/cases/?q=Lohnlauf").status_code == 200


@pytest.mark.parametrize("rows", [1, 30])
def test_search_query_budget(desk, customer, django_assert_max_num_queries, rows):
    for n in range(rows):
        case = make_case(customer, subject=f"Lohnlauf {n}", description="Quellensteuer " * 50)
        case_note_add(case=case, text="Kontenplan Lohnlauf")
    with django_assert_max_num_queries(10):
        response = desk.get("/cases/", {"q": "Lohnlauf"})
    assert len(response.context["table"].page.object_list) == rows
    with django_assert_max_num_queries(10):
        assert len(found(desk, "Kontenplan")) == rows


# --- the order of the matches, from the search rows -----------------------------------------


@pytest.fixture
def anna(customer):
    """The customer's contact, registered for Support+: her cases are urgent while active."""
    anna = customer.contacts.get()
    subscribe_support_plus(customer, [anna])
    return anna


def test_matches_best_first_then_urgent_then_newest(desk, customer, anna):
    """Equal matches (the word once in the description) as the list: the Support+ case
    still open or waiting first, then the newest; a case closed is no longer urgent."""
    older = make_case(customer, subject="Anfrage", description="Lohnlauf")
    urgent = make_case(customer, contact=anna, subject="Anruf", description="Lohnlauf")
    newer = make_case(customer, subject="Frage", description="Lohnlauf")
    vip_closed = make_case(customer, contact=anna, subject="Rückruf", description="Lohnlauf")
    case_set_status(case=vip_closed, status=CaseStatus.CLOSED)
    newest = make_case(customer, subject="Noch", description="Lohnlauf")
    in_subject = make_case(customer, subject="Lohnlauf bricht ab")  # the best match, yet older
    make_case(customer, subject="Anderes")
    make_case(customer, contact=anna, subject="Anderes dringend")

    assert found(desk, "Lohnlauf") == [in_subject, urgent, newest, vip_closed, newer, older]
    case_set_status(case=urgent, status=CaseStatus.WAITING)  # still urgent
    assert found(desk, "Lohnlauf") == [in_subject, urgent, newest, vip_closed, newer, older]
    case_set_status(case=urgent, status=CaseStatus.RESOLVED)  # done: by its date
    assert found(desk, "Lohnlauf") == [in_subject, newest, vip_closed, newer, urgent, older]
    case_set_status(case=urgent, status=CaseStatus.OPEN)  # reopened: urgent again
    assert found(desk, "Lohnlauf") == [in_subject, urgent, newest, vip_closed, newer, older]
    # The other filters narrow the same order.
    assert found(desk, "Lohnlauf", status="active") == [in_subject, urgent, newest, newer, older]


def test_the_pages_of_a_search_neither_share_nor_skip_a_case(desk, customer):
    """Cases opened at the same instant match equally: the last opened first, and each on
    one page only (a page is chosen among the matches before it is read)."""
    with time_machine.travel(timezone.now(), tick=False):
        same = [make_case(customer, subject=f"Lohnlauf {n}") for n in range(5)]
    later = make_case(customer, subject="Lohnlauf später")
    pages = [found(desk, "Lohnlauf", per_page=2, page=n) for n in (1, 2, 3)]
    assert [case for page in pages for case in page] == [later, *reversed(same)]
    assert [len(page) for page in pages] == [2, 2, 2]


@pytest.fixture
def rank_three(monkeypatch):
    """A word found in more than three cases is frequent (at most a thousand are ranked)."""
    monkeypatch.setattr(lists, "RANKED_MATCHES", 3)


def counts(queries) -> list[str]:
    """The counts of the text search's matches a page ran."""
    return [
        q["sql"]
        for q in queries.captured_queries
        if "COUNT(" in q["sql"] and "cases_casesearch" in q["sql"]
    ]


def test_a_frequent_word_lists_its_matches_urgent_and_newest_first(
    desk, customer, anna, rank_three
):
    """More matches than are ranked: the list's order (urgent, newest), read from the
    search rows' index; the one bounded count decides and is the list's count too. The
    words are still marked."""
    in_subject = make_case(customer, subject="Lohnlauf bricht ab")  # the best match, oldest
    urgent = make_case(customer, contact=anna, subject="Anruf", description="Lohnlauf")
    closed = make_case(customer, subject="Frage", description="Lohnlauf")
    case_set_status(case=closed, status=CaseStatus.CLOSED)
    newest = make_case(customer, subject="Noch", description="Lohnlauf")
    make_case(customer, subject="Anderes")
    with CaptureQueriesContext(connection) as queries:
        response = desk.get("/cases/", {"q": "Lohnlauf", "per_page": 2}, HTTP_ACCEPT_LANGUAGE="fr")
    (count,) = counts(queries)
    assert "LIMIT 4" in count
    table = response.context["table"]
    assert [row.record for row in table.page.object_list] == [urgent, newest]
    assert (table.paginator.count, table.paginator.exact) == (3, False)
    html = response.content.decode()
    assert "plus de 3 lignes" in html
    assert "Trop de résultats pour les classer" in html and "Meilleures correspondances" not in html
    assert "<mark>Lohnlauf</mark>" in html
    assert found(desk, "Lohnlauf", per_page=2, page=2) == [closed, in_subject]
    # The open ones are three, few enough to rank (counted with the other filters): best
    # match first again, and counted exactly, once.
    assert found(desk, "Lohnlauf", status="active") == [in_subject, urgent, newest]
    with CaptureQueriesContext(connection) as queries:
        response = desk.get("/cases/", {"q": "Lohnlauf", "status": "active"})
    assert len(counts(queries)) == 1
    assert response.context["table"].paginator.exact is True
    assert response.context["table"].paginator.count == 3
    assert "Meilleures correspondances" in response.content.decode()


def test_the_pages_of_a_frequent_word_go_on_past_the_bound(desk, customer, rank_three):
    """The count is bounded; the next pages count on from where they stand, and every
    case comes on one page only."""
    made = [make_case(customer, subject=f"Lohnlauf {n}") for n in range(7)]
    pages = [found(desk, "Lohnlauf", per_page=2, page=n) for n in (1, 2, 3, 4)]
    assert [case for page in pages for case in page] == made[::-1]
    # A page within the bound (the search counted "more than 3") needs no other count; a
    # page reaching past it counts on from where it stands, once.
    for page, expected in ((1, 1), (3, 1), (4, 2)):
        with CaptureQueriesContext(connection) as queries:
            desk.get("/cases/", {"q": "Lohnlauf", "per_page": 1, "page": page})
        assert len(counts(queries)) == expected, (page, counts(queries))
    last = desk.get("/cases/", {"q": "Lohnlauf", "per_page": 2, "page": 4})
    assert (last.context["table"].paginator.count, last.context["table"].paginator.exact) == (
        7,
        True,
    )
    # A click on a column sorts by it, as for a ranked search; the note on the order goes.
    assert found(desk, "Lohnlauf", sort="reference", per_page=3) == made[:3]
    assert 'data-testid="search-note"' in last.content.decode()
    sorted_page = desk.get("/cases/", {"q": "Lohnlauf", "sort": "reference"})
    assert 'data-testid="search-note"' not in sorted_page.content.decode()


@pytest.mark.sqlite
def test_sqlite_reads_the_search_rows_before_the_cases(desk, customer):
    """With statistics (``seed_demo`` analyzes), SQLite would read every case and look up
    its search row; told that a word is rare, it reads the search rows and looks up the
    matches' cases by their key, in the count and in the page's choice alike."""
    for n in range(30):
        make_case(customer, subject=f"Lohnlauf {n}" if n % 3 else f"Anderes {n}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    with CaptureQueriesContext(connection) as queries:
        assert len(found(desk, "Lohnlauf")) == 20
    searches = [q["sql"] for q in queries.captured_queries if "cases_casesearch" in q["sql"]]
    assert len(searches) == 2  # the count and the page
    for sql in searches:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            scans = [row[3] for row in cursor.fetchall() if row[3].startswith("SCAN")]
        case_scans = [s for s in scans if "INDEX cases_case_" in s or s.split()[1] in CASE_NAMES]
        assert scans and not case_scans, scans


CASE_NAMES = {"cases_case", "U0"}  # the table, and its alias in the page's subquery


# --- the working view ---------------------------------------------------------------------


@pytest.fixture
def cases(customer, isabelle):
    anna = customer.contacts.get()
    subscribe_support_plus(customer, [anna])
    vip_closed = make_case(customer, contact=anna, subject="Support+ erledigt")
    case_set_status(case=vip_closed, status=CaseStatus.CLOSED)
    resolved = make_case(customer, subject="Gelöst")
    case_set_status(case=resolved, status=CaseStatus.RESOLVED)
    vip_open = make_case(customer, contact=anna, subject="Support+ offen")
    waiting = make_case(customer, subject="Wartet")
    case_set_status(case=waiting, status=CaseStatus.WAITING)
    mine = make_case(customer, subject="Meiner", assignee=isabelle)
    return vip_closed, resolved, vip_open, waiting, mine


def rows(client, params=None):
    response = client.get("/cases/", params or {})
    return [row.record.subject for row in response.context["table"].page.object_list], response


def test_default_list_is_the_working_view(desk, cases):
    subjects, response = rows(desk)
    assert subjects == ["Support+ offen", "Meiner", "Wartet"]  # open and waiting, Support+ first
    assert response.context["filter"].form["status"].value() == "active"
    html = response.content.decode()
    assert 'data-testid="view-open" aria-current="page"' in html
    assert rows(desk, {"page": 1})[0] == subjects  # its later pages stay the working view


def test_my_cases_are_one_click_away(desk, cases):
    subjects, response = rows(desk, {"status": "active", "mine": "1"})
    assert subjects == ["Meiner"]
    assert 'data-testid="view-mine" aria-current="page"' in response.content.decode()


def test_all_cases_put_closed_support_plus_below_the_open_ones(desk, cases):
    subjects, response = rows(desk, {"status": ""})
    assert subjects == ["Support+ offen", "Meiner", "Wartet", "Gelöst", "Support+ erledigt"]
    assert 'data-testid="view-all" aria-current="page"' in response.content.decode()


def test_any_filter_looks_at_every_case(desk, cases):
    """The dashboard's links (cases opened in a period…) count closed cases too."""
    subjects, _ = rows(desk, {"created_from": "2026-03-02", "created_to": "2026-03-02"})
    assert len(subjects) == 5
    assert rows(desk, {"customer": "10001"})[0][-1] == "Support+ erledigt"


@pytest.mark.parametrize("n", [1, 30])
def test_working_view_query_budget(desk, customer, isabelle, django_assert_max_num_queries, n):
    for i in range(n):
        make_case(customer, subject=f"Fall {i}", assignee=isabelle)
    for params in ({}, {"status": "active", "mine": "1"}, {"status": ""}):
        with django_assert_max_num_queries(10):
            assert len(rows(desk, params)[0]) == n


# --- PostgreSQL: the real full-text search ------------------------------------------------


@pytest.mark.postgresql
@pytest.mark.parametrize(
    "language, text, query",
    [
        ("de", "Herr Müller ruft zurück", "muller"),  # umlauts: unaccent, then the stemmer
        ("de", "Herr Muller ruft zurück", "Müller"),
        ("de", "Die Lohnläufe brechen ab", "Lohnlauf"),  # the German stemmer
        ("fr", "Problème à l'impression des factures", "probleme facture"),  # accents, plural
        ("fr", "La clôture annuelle", "CLOTURE"),
        ("en", "The invoices were printed twice", "invoice print"),
    ],
)
def test_words_are_found_in_the_case_language_without_accents(desk, language, text, query):
    case = make_case(rental_customer(language=language), subject="Anruf", description=text)
    assert found(desk, query) == [case]


@pytest.mark.postgresql
def test_phrases_and_exclusions_of_the_web_search_syntax(desk, customer):
    both = make_case(customer, subject="Lohnlauf Abbruch", description="Fehler 17")
    other = make_case(customer, subject="Abbruch Lohnlauf")
    assert found(desk, '"Lohnlauf Abbruch"') == [both]
    assert found(desk, "Lohnlauf -Fehler") == [other]


@pytest.mark.postgresql
def test_the_search_reads_the_gin_index(customer):
    from cases.selectors import case_search

    make_case(customer, subject="Lohnlauf")
    with connection.cursor() as cursor:
        # On a table of one row the planner rightly prefers to read it whole; forbid the
        # whole-table reads (also through the primary key's index, which it picks once
        # statistics say the table is tiny) to see whether the match can use the index.
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_indexscan = off")
        sql, params = case_search(Case.objects.all(), q="Lohnlauf").query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
        cursor.execute("RESET enable_indexscan")
    assert "casesearch_vector_idx" in plan


def test_a_search_text_too_long_is_an_error_not_cut_short(desk, customer):
    make_case(customer, subject="Lohnlauf")
    response = desk.get("/cases/", {"q": "Lohnlauf " + "x" * 200}, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    assert response.context["filter"].errors["q"] == [
        "Bitte sicherstellen, dass der Wert aus höchstens 200 Zeichen besteht."
        " (Er besteht aus 209 Zeichen.)"
    ]
    assert list(response.context["table"].page.object_list) == []
