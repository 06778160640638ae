"""Callbacks (R11): windows, queue order (Support+ first), claim, attempts, missed."""

from datetime import date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from cases.callbacks import callback_attempt, callback_claim, callback_schedule
from cases.models import Callback, CallbackAttempt, CallbackWindow
from cases.selectors import callbacks_due_count, callbacks_missed, callbacks_waiting
from cases.services import case_create
from q3helpdesk.roles import Role
from tests.factories import ContactFactory, UserFactory, make_case, rental_customer
from tests.factories import support_plus as subscribe_support_plus

pytestmark = pytest.mark.django_db

ZURICH = ZoneInfo("Europe/Zurich")
TODAY = date(2026, 3, 2)  # the desk's day in these tests (a Monday, 09:30)
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=ZURICH)


open_case = partial(make_case, subject="Rückruf")


def schedule(case=None, windows=None, **kwargs):
    return callback_schedule(
        case=case or open_case(),
        phone=kwargs.pop("phone", "031 381 22 10"),
        reason=kwargs.pop("reason", "Lohnlauf"),
        windows=windows if windows is not None else [(TODAY, time(14, 0), time(16, 0))],
        **kwargs,
    )


def test_schedule_with_windows_in_the_customers_time_zone():
    callback = schedule(
        windows=[
            (TODAY + timedelta(days=1), time(8, 0), time(9, 0)),
            (TODAY, time(14, 0), time(16, 0)),
        ]
    )
    windows = list(callback.windows.all())
    assert [
        (w.starts_at.astimezone(ZURICH).hour, w.ends_at.astimezone(ZURICH).hour) for w in windows
    ] == [(14, 16), (8, 9)]
    assert callback.first_window_start == datetime(2026, 3, 2, 14, 0, tzinfo=ZURICH)
    assert callback.last_window_end == datetime(2026, 3, 3, 9, 0, tzinfo=ZURICH)
    assert callback.phone.as_e164 == "+41313812210"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"windows": [(TODAY, time(16, 0), time(14, 0))]}, "ends before it starts"),
        ({"windows": [(TODAY, time(8, 0), time(9, 0))]}, "already over"),  # before 09:30
        ({"windows": [(TODAY - timedelta(days=1), time(14, 0), time(15, 0))]}, "already over"),
        ({"windows": [(TODAY, time(14, 0), time(15, 0))] * 6}, "at most 5"),
        ({"windows": []}, "at least one window"),
        ({"windows": ["tomorrow"]}, "date with a start and an end"),
        ({"phone": "12"}, "valid phone number"),
        ({"reason": " "}, "why the customer"),
        ({"reason": "x" * 201}, "at most 200"),
    ],
)
def test_bad_callbacks_are_refused_and_nothing_saved(kwargs, message):
    with pytest.raises(ValidationError, match=message):
        schedule(**kwargs)
    assert not Callback.objects.exists() and not CallbackWindow.objects.exists()


def test_a_running_window_is_accepted():
    callback = schedule(windows=[(TODAY, time(9, 0), time(10, 0))])
    assert callbacks_due_count(NOW) == 1
    assert callback in callbacks_waiting(NOW)


def test_queue_support_plus_first_then_earliest_window():
    customer = rental_customer(variant="premium")
    anna = ContactFactory(customer=customer)
    subscribe_support_plus(customer, [anna])
    late = schedule(windows=[(TODAY, time(15, 0), time(16, 0))])
    early = schedule(windows=[(TODAY, time(10, 0), time(11, 0))])
    vip = schedule(
        case=open_case(customer, contact=anna), windows=[(TODAY, time(17, 0), time(18, 0))]
    )
    assert vip.support_plus
    assert list(callbacks_waiting(NOW)) == [vip, early, late]


def test_missed_when_every_window_passed_without_reaching():
    callback = schedule(
        windows=[(TODAY, time(10, 0), time(11, 0)), (TODAY, time(14, 0), time(15, 0))]
    )
    callback_attempt(callback=callback, outcome="no_answer", note="Combox")
    with time_machine.travel(datetime(2026, 3, 2, 14, 30, tzinfo=ZURICH)):
        assert list(callbacks_missed(datetime(2026, 3, 2, 14, 30, tzinfo=ZURICH))) == []
    later = datetime(2026, 3, 2, 15, 1, tzinfo=ZURICH)
    assert list(callbacks_missed(later)) == [callback]
    assert list(callbacks_waiting(later)) == []


def test_reached_closes_the_callback_other_outcomes_keep_it_open():
    user = UserFactory()
    callback = schedule()
    for outcome in ("no_answer", "busy", "voicemail", "wrong_number"):
        callback = callback_attempt(callback=callback, outcome=outcome, user=user)
        assert callback.status == "open"
    callback = callback_attempt(callback=callback, outcome="reached", note="erledigt", user=user)
    assert callback.status == "done" and callback.closed_at is not None
    assert callback.first_attempt_at is not None and callback.claimed_by == user
    assert CallbackAttempt.objects.filter(callback=callback).count() == 5
    with pytest.raises(ValidationError, match="closed"):
        callback_attempt(callback=callback, outcome="busy")
    with pytest.raises(ValidationError, match="outcome"):
        callback_attempt(callback=schedule(), outcome="maybe")


def test_claim_once():
    anna, ben = UserFactory(first_name="Anna"), UserFactory()
    callback = schedule()
    callback_claim(callback=callback, user=anna)
    callback_claim(callback=callback, user=anna)  # again: fine
    with pytest.raises(ValidationError, match="already claimed"):
        callback_claim(callback=callback, user=ben)


# --- pages ------------------------------------------------------------------------------------


@pytest.fixture
def desk(client, user_with_role):
    client.force_login(user_with_role(Role.SUPPORT, username="stefan"))
    return client


def test_schedule_from_the_case_page(desk):
    case = open_case()
    data = {
        "phone": "031 381 22 10",
        "reason": "Jahresabschluss",
        "w-TOTAL_FORMS": "5",
        "w-INITIAL_FORMS": "0",
        "w-MIN_NUM_FORMS": "0",
        "w-MAX_NUM_FORMS": "5",
        "w-0-day": "2026-03-02",
        "w-0-starts": "14:00",
        "w-0-ends": "15:00",
        "w-1-day": "2026-03-03",
        "w-1-starts": "08:00",
        "w-1-ends": "09:00",
    }
    response = desk.post(f"/cases/{case.pk}/callbacks/new/", data)
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    assert Callback.objects.get().windows.count() == 2


@pytest.mark.parametrize(
    "window",
    [
        {"w-0-day": "2026-03-02", "w-0-starts": "15:00", "w-0-ends": "14:00"},  # reversed
        {"w-0-day": "2026-03-01", "w-0-starts": "14:00", "w-0-ends": "15:00"},  # past
        {"w-0-day": "2026-03-02", "w-0-starts": "14:00"},  # incomplete
        {},  # none
    ],
)
def test_bad_windows_on_the_page_save_nothing(desk, window):
    case = open_case()
    data = {
        "phone": "031 381 22 10",
        "reason": "x",
        "w-TOTAL_FORMS": "5",
        "w-INITIAL_FORMS": "0",
        "w-MIN_NUM_FORMS": "0",
        "w-MAX_NUM_FORMS": "5",
        **window,
    }
    response = desk.post(f"/cases/{case.pk}/callbacks/new/", data)
    assert response.status_code == 200
    assert not Callback.objects.exists()


def test_queue_page_claim_attempt_and_reached_continues_in_the_case(desk):
    callback = schedule(windows=[(TODAY, time(9, 0), time(10, 0))])
    page = desk.get("/callbacks/")
    assert list(page.context["waiting"]) == [callback]
    assert 'data-testid="callbacks-due"' in page.content.decode()
    desk.post(f"/callbacks/{callback.pk}/claim/")
    busy = desk.post(f"/callbacks/{callback.pk}/attempt/", {"outcome": "busy"})
    assert busy["Location"] == "/callbacks/"
    reached = desk.post(f"/callbacks/{callback.pk}/attempt/", {"outcome": "reached"})
    assert reached["Location"] == f"/cases/{callback.case_id}/"
    callback.refresh_from_db()
    assert callback.status == "done" and callback.claimed_by.username == "stefan"


@pytest.mark.parametrize("rows", [1, 30])
def test_queue_query_budget(desk, django_assert_max_num_queries, rows):
    for n in range(rows):
        schedule(
            windows=[
                (TODAY, time(10, 0), time(11, 0)),
                (TODAY + timedelta(days=n % 3), time(14, 0), time(15, 0)),
            ]
        )
    # 11th: the inbox count in the navigation; 12th: the attempts shown in each row
    with django_assert_max_num_queries(12):
        assert desk.get("/callbacks/").status_code == 200


def test_managers_see_the_queue_but_cannot_work_it(client, user_with_role):
    callback = schedule()
    client.force_login(user_with_role(Role.MANAGER))
    assert client.get("/callbacks/").status_code == 200
    assert client.post(f"/callbacks/{callback.pk}/claim/").status_code == 403
    assert (
        client.post(f"/callbacks/{callback.pk}/attempt/", {"outcome": "reached"}).status_code == 403
    )
    callback.refresh_from_db()
    assert callback.status == "open" and callback.claimed_by is None


def test_callbacks_only_on_an_open_support_case_of_an_eligible_customer():
    from cases.services import case_set_status
    from tests.factories import CustomerFactory

    lead = case_create(customer=CustomerFactory(), channel="phone", subject="x", kind="lead")
    closed = case_set_status(case=open_case(), status="closed")
    lapsed = open_case(rental_customer(start=date(2026, 1, 1), end=date(2026, 3, 5)))
    from customers.models import RentalPeriod

    RentalPeriod.objects.filter(licence__customer=lapsed.customer).update(end=date(2026, 3, 1))
    for case, message in (
        (lead, "open support case"),
        (closed, "open support case"),
        (lapsed, "No support can be given"),
    ):
        with pytest.raises(ValidationError, match=message):
            schedule(case=case)
    assert not Callback.objects.exists()


def test_support_plus_priority_ends_with_the_subscription():
    customer = rental_customer(variant="premium")
    anna = ContactFactory(customer=customer)
    subscribe_support_plus(customer, [anna], start=date(2026, 1, 1), end=date(2026, 3, 1))
    case = open_case(customer, contact=anna)  # opened on 02.03: the subscription has ended
    assert not case.support_plus
    assert not schedule(case=case).support_plus


def test_queue_is_paginated_not_cut(desk):
    for _ in range(51):
        schedule(windows=[(TODAY, time(10, 0), time(11, 0))])
    first = desk.get("/callbacks/")
    assert first.context["waiting"].paginator.count == 51
    assert len(first.context["waiting"]) == 50
    assert len(desk.get("/callbacks/", {"page": "2"}).context["waiting"]) == 1
    assert desk.get("/callbacks/", {"page": "abc"}).status_code == 200
