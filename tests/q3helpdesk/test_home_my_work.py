"""The home page as the desk's "my work" (issue 14, item 5): my open cases, the callbacks
claimed by me or nobody's and due now, the inbox count and the lookup box; the tariff sheet
folded for the desk, open for Billing and Managers, the notice of a new tariff in view."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from billing.models import Tariff
from cases.callbacks import callback_claim, callback_schedule
from cases.models import InboundEmail
from cases.services import case_set_status
from q3helpdesk.roles import Role
from tests.factories import UserFactory, make_case, rental_customer

pytestmark = pytest.mark.django_db

ZURICH = ZoneInfo("Europe/Zurich")
TODAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def monday_morning():
    with time_machine.travel(datetime(2026, 3, 2, 9, 30, tzinfo=ZURICH)):
        yield


@pytest.fixture
def stefan(user_with_role):
    return user_with_role(Role.SUPPORT, username="stefan")


def callback(case=None, start=9, end=10):
    return callback_schedule(
        case=case or make_case(),
        phone="031 381 22 10",
        reason="Rückruf",
        windows=[(TODAY, time(start), time(end))],
    )


def count_testid(html: str, name: str) -> int:
    return html.count(f'data-testid="{name}"')


def test_the_desk_sees_its_own_work(client, stefan):
    other = UserFactory()
    mine = make_case(subject="Meine Frage", assignee=stefan)
    waiting = make_case(subject="Wartet auf Kunde", assignee=stefan)
    case_set_status(case=waiting, status="waiting")
    case_set_status(case=make_case(subject="Schon gelöst", assignee=stefan), status="resolved")
    make_case(subject="Nicht meine", assignee=other)
    claimed_later = callback_claim(callback=callback(mine, 16, 17), user=stefan)
    free_now = callback(start=9, end=10)
    callback(start=16, end=17)  # nobody's, not due yet
    callback_claim(callback=callback(start=9, end=10), user=other)  # a colleague's
    InboundEmail.objects.create(
        message_id="<1@example.com>", from_address="x@example.com", raw="r.eml", status="inbox"
    )

    client.force_login(stefan)
    response = client.get("/")
    html = response.content.decode()
    work = response.context["work"]
    assert [c.subject for c in work.cases] == ["Wartet auf Kunde", "Meine Frage"]
    assert [cb.pk for cb in work.callbacks] == [free_now.pk, claimed_later.pk]
    assert count_testid(html, "home-case") == 2 and count_testid(html, "home-callback") == 2
    assert count_testid(html, "home-claim") == 1  # the free one; mine is marked as mine
    assert 'data-testid="lookup-form"' in html and 'id="lookup-q-home"' in html
    inbox = html.split('data-testid="home-inbox"')[1].split("</a>")[0]
    assert ">1</span>" in inbox
    due = html.split('data-testid="home-callbacks-due"')[1].split("</a>")[0]
    assert ">2</span>" in due  # free_now and the colleague's, both running; not the later ones


def test_the_tariff_sheet_is_folded_for_the_desk_and_open_for_billing(client, user_with_role):
    client.force_login(user_with_role(Role.INFOLINE))
    html = client.get("/").content.decode()
    assert '<details class="card shadow-sm" data-testid="tariff-sheet">' in html
    for role in (Role.BILLING, Role.MANAGER):
        client.force_login(user_with_role(role))
        html = client.get("/").content.decode()
        assert '<details class="card shadow-sm" open data-testid="tariff-sheet">' in html
        assert 'data-testid="home-my-cases"' not in html
        assert 'data-testid="home-my-callbacks"' not in html


def test_the_notice_of_a_new_tariff_stays_in_view_for_the_desk(client, user_with_role):
    tariff = Tariff.objects.get()
    tariff.pk, tariff.valid_from = None, date(2026, 4, 1)
    tariff.save()
    client.force_login(user_with_role(Role.INFOLINE))
    html = client.get("/").content.decode()
    notice = html.index('data-testid="upcoming-tariff"')
    assert notice < html.index('data-testid="tariff-sheet"')  # above the folded sheet


def test_claim_from_home_comes_back_home(client, stefan):
    free = callback()
    client.force_login(stefan)
    response = client.post(f"/callbacks/{free.pk}/claim/", {"back": "home"})
    assert response.status_code == 302 and response["Location"] == "/"
    free.refresh_from_db()
    assert free.claimed_by == stefan


def test_a_long_list_is_cut_with_a_link_to_the_rest(client, stefan):
    for _ in range(9):
        make_case(assignee=stefan)
    client.force_login(stefan)
    response = client.get("/")
    assert len(response.context["work"].cases) == 8 and response.context["work"].more_cases
    assert f'href="/cases/?assignee={stefan.pk}"' in response.content.decode()


def test_anonymous_goes_to_the_login_and_no_role_is_refused(client, user_with_role):
    assert "/login/" in client.get("/")["Location"]
    client.force_login(user_with_role(None))
    assert client.get("/").status_code == 403


@pytest.mark.parametrize("rows", [1, 30])
def test_desk_home_query_budget(client, stefan, django_assert_max_num_queries, rows):
    customer = rental_customer()
    for n in range(rows):
        case = make_case(customer, subject=f"Frage {n}", assignee=stefan)
        callback_claim(callback=callback(case, 9 + n % 3, 12), user=stefan)
        callback(make_case(customer), 9, 10)
    client.force_login(stefan)
    # session, user, roles; tariff + its credit cells; my cases; my callbacks + their
    # windows + attempts; 2 permissions; 2 navigation counts; the upcoming tariff. The
    # manager's customer overview (4 counts) is no longer read for the desk.
    with django_assert_max_num_queries(15):  # 15th: the activities of the tariff
        assert client.get("/").status_code == 200
