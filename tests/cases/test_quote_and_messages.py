"""The live quote says why there is no price, and every action on a case says what it did."""

from datetime import date, time

import pytest

from cases.callbacks import callback_schedule
from q3helpdesk.roles import Role
from tests.factories import make_case, messages_of, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client, user_with_role):
    client.force_login(user_with_role(Role.SUPPORT, username="sandra", first_name="Sandra"))
    return client


def quote_text(desk, case, **data) -> str:
    params = {"activity": "support", "minutes": "10", "performed_on": "2026-03-02", **data}
    response = desk.get(
        f"/cases/{case.pk}/entries/quote/",
        params,
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"performed_on": "2026-03-03"}, "Date: Work cannot be logged for a day in the future."),
        ({"minutes": "0"}, "Minutes: Ensure this value is greater than or equal to 1."),
        ({"minutes": "721"}, "Minutes: Ensure this value is less than or equal to 720."),
        ({"minutes": "abc"}, "Minutes: Enter a whole number."),
        ({"performed_on": "2026-02-27"}, "02.03.2026"),  # before the case's first work day
    ],
)
def test_the_quote_shows_why_there_is_no_price(desk, data, reason):
    html = quote_text(desk, make_case(), **data)
    assert 'class="text-danger"' in html and reason in html


def test_the_quote_follows_the_date_and_stays_quiet_before_minutes_are_typed(desk):
    case = make_case()
    assert "CHF" in quote_text(desk, case)
    quiet = quote_text(desk, case, minutes="")
    assert "text-danger" not in quiet and "CHF" not in quiet
    page = desk.get(f"/cases/{case.pk}/").content.decode()
    # the quote listens to the minutes and to the date, not only to the first input
    assert "from:#id_minutes" in page and "from:#id_performed_on" in page


def test_each_case_action_says_what_it_did(desk):
    case = make_case()

    def said(path, data=None) -> str:
        response = post(desk, f"/cases/{case.pk}/{path}", data, language="en", follow=True)
        return [str(m) for m in response.context["messages"]][-1]

    assert said("status/", {"status": "waiting"}) == "Status changed to “Waiting for customer”."
    assert said("take/").startswith("Case assigned to Sandra")
    assert said("verified-bug/", {"bug_reference": "BUG-7"}).startswith(
        "Marked as verified software error BUG-7"
    )
    assert said("verified-bug/undo/") == (
        "The verified-software-error mark is taken back; the case is charged again."
    )
    assert said("notes/", {"text": "Rappeler demain"}) == "Note added."
    entry = {"activity": "support", "minutes": "5", "performed_on": "2026-03-02"}
    assert said("entries/", entry) == "Time logged."


def test_claiming_a_callback_says_so(desk):
    case = make_case()
    callback = callback_schedule(
        case=case,
        phone="031 511 49 49",
        reason="Rückruf",
        windows=[(date(2026, 3, 2), time(10, 0), time(11, 0))],
    )
    response = desk.post(f"/callbacks/{callback.pk}/claim/", HTTP_ACCEPT_LANGUAGE="en")
    assert messages_of(response) == ["Callback claimed: it is yours to call."]
