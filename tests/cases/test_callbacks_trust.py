"""Callbacks the desk can trust (issue 14, item 3): cancel with a reason, cases that end
cancel their callbacks, ageing out of the queue (tariff setting), attempts without a
preselected outcome and shown everywhere, releasing a claim, dates with their year.

"Today" is Monday 02.03.2026 09:30 in Zurich (tests/cases/conftest.py).
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.template import Context, Template

from billing.models import Tariff
from cases.callbacks import (
    callback_attempt,
    callback_cancel,
    callback_claim,
    callback_release,
    callback_schedule,
)
from cases.forms import AttemptForm
from cases.models import Callback, CallbackAttempt, CaseNote
from cases.selectors import (
    CallbackState,
    callback_state_q,
    callbacks_due_count,
    callbacks_for,
    callbacks_missed,
    callbacks_waiting,
)
from cases.services import case_set_status
from q3helpdesk.dashboard import selectors as board
from q3helpdesk.dashboard.periods import Period
from q3helpdesk.roles import Role
from tests.factories import UserFactory, make_case

pytestmark = pytest.mark.django_db

ZURICH = ZoneInfo("Europe/Zurich")
TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=ZURICH)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZURICH)


def schedule(case=None, windows=None, reason="Lohnlauf bricht ab"):
    return callback_schedule(
        case=case or make_case(),
        phone="031 381 22 10",
        reason=reason,
        windows=windows if windows is not None else [(TODAY, time(14, 0), time(16, 0))],
    )


def ids(queryset) -> list[int]:
    return [callback.pk for callback in queryset]


# --- cancel ------------------------------------------------------------------------------


def test_cancel_with_a_reason_closes_it_and_notes_why_on_the_case():
    stefan = UserFactory(username="stefan")
    callback = schedule(
        windows=[(TODAY, time(14, 0), time(15, 0)), (TODAY + timedelta(days=1), time(8), time(9))]
    )
    callback = callback_cancel(
        callback=callback, reason="  Kunde hat selbst angerufen ", user=stefan
    )
    assert callback.status == "cancelled" and callback.closed_at is not None
    note = CaseNote.objects.get(case=callback.case)
    assert note.created_by == stefan
    assert "Kunde hat selbst angerufen" in note.text
    assert "02.03.2026 14:00–15:00, 03.03.2026 08:00–09:00" in note.text  # which callback
    assert ids(callbacks_waiting(NOW)) == [] and callbacks_due_count(at(TODAY, 14, 30)) == 0
    stored = Callback.objects.get(pk=callback.pk)
    assert (stored.cancel_reason, stored.cancelled_by) == ("Kunde hat selbst angerufen", stefan)


@pytest.mark.parametrize(
    ("reason", "message"),
    [("", "Say why"), ("   ", "Say why"), (None, "Say why"), (42, "Say why"), ("x" * 201, "200")],
)
def test_cancel_without_a_usable_reason_is_refused_and_nothing_changes(reason, message):
    callback = schedule()
    with pytest.raises(ValidationError, match=message):
        callback_cancel(callback=callback, reason=reason)
    callback.refresh_from_db()
    assert callback.status == "open" and not CaseNote.objects.exists()


def test_a_closed_callback_cannot_be_cancelled():
    reached = callback_attempt(callback=schedule(), outcome="reached")
    cancelled = callback_cancel(callback=schedule(), reason="doppelt")
    for callback in (reached, cancelled):
        with pytest.raises(ValidationError, match="closed"):
            callback_cancel(callback=callback, reason="noch einmal")
    reached.refresh_from_db()
    assert reached.status == "done" and CaseNote.objects.count() == 1


@pytest.mark.parametrize(
    ("status", "reason"), [("resolved", "case resolved"), ("closed", "case closed")]
)
def test_a_case_that_ends_cancels_its_open_callbacks(status, reason):
    user = UserFactory()
    case = make_case()
    first, second = schedule(case), schedule(case, [(TODAY, time(17), time(18))])
    reached = callback_attempt(callback=schedule(case), outcome="reached")
    other = schedule()  # another case's callback is not touched
    case_set_status(case=case, status=status, by=user)
    statuses = dict(Callback.objects.values_list("pk", "status"))
    assert statuses == {
        first.pk: "cancelled",
        second.pk: "cancelled",
        reached.pk: "done",
        other.pk: "open",
    }
    notes = list(CaseNote.objects.filter(case=case).values_list("text", flat=True))
    assert len(notes) == 2 and all(note.endswith(f": {reason}") for note in notes)


def test_waiting_for_the_customer_keeps_the_callbacks():
    callback = schedule()
    case_set_status(case=callback.case, status="waiting")
    callback.refresh_from_db()
    assert callback.status == "open" and not CaseNote.objects.exists()


# --- ageing: due now, missed, expired ----------------------------------------------------


def _day_ago(days: int, hours: int = 0) -> datetime:
    """An instant after the 14:00–15:00 window of today, ``days`` days and ``hours`` later."""
    return at(TODAY, 15) + timedelta(days=days, hours=hours)


@pytest.mark.parametrize(
    ("now", "queue", "missed", "due", "state"),
    [
        (at(TODAY, 9, 30), True, False, 0, CallbackState.WAITING),  # window to come
        (at(TODAY, 14, 30), True, False, 1, CallbackState.WAITING),  # window running
        (_day_ago(0, 1), False, True, 1, CallbackState.MISSED),  # missed an hour ago
        (_day_ago(14), False, True, 1, CallbackState.MISSED),  # exactly 14 days: still here
        (_day_ago(14) + timedelta(minutes=1), False, False, 0, CallbackState.EXPIRED),
        (_day_ago(400), False, False, 0, CallbackState.EXPIRED),
    ],
)
def test_a_missed_callback_leaves_the_queue_after_the_tariff_days(now, queue, missed, due, state):
    callback = schedule(windows=[(TODAY, time(14, 0), time(15, 0))])
    assert (callback.pk in ids(callbacks_waiting(now))) is queue
    assert (callback.pk in ids(callbacks_missed(now))) is missed
    assert callbacks_due_count(now) == due
    assert Callback.objects.filter(callback_state_q(state, now)).exists()
    # Expired is a part of missed: the dashboard's "missed" figure does not change with it.
    expired = state == CallbackState.EXPIRED
    assert Callback.objects.filter(callback_state_q(CallbackState.MISSED, now)).exists() is (
        expired or missed
    )


def test_the_expiry_follows_the_tariff_in_force_on_the_day():
    callback = schedule(windows=[(TODAY, time(14, 0), time(15, 0))])
    tariff = Tariff.objects.get()
    assert tariff.callback_expiry_days == 14  # the default of the migrated tariff
    four_days_later = _day_ago(4)
    assert callbacks_due_count(four_days_later) == 1
    Tariff.objects.filter(pk=tariff.pk).update(callback_expiry_days=3)
    assert callbacks_due_count(four_days_later) == 0
    assert ids(callbacks_missed(four_days_later)) == []
    # A tariff entered for a later day changes nothing before that day.
    tariff.pk, tariff.valid_from, tariff.callback_expiry_days = None, date(2026, 3, 10), 30
    tariff.save()
    assert callbacks_due_count(four_days_later) == 0  # 06.03: the 3 days still apply
    assert callbacks_due_count(_day_ago(20)) == 1  # 22.03: 30 days now
    assert callback.pk in ids(callbacks_missed(_day_ago(20)))


def test_due_now_counts_open_callbacks_whose_first_window_started_and_not_expired():
    running = schedule(windows=[(TODAY, time(9), time(10)), (TODAY, time(16), time(17))])
    later = schedule(windows=[(TODAY, time(11), time(12))])
    claimed = schedule(windows=[(TODAY, time(9, 15), time(9, 45))])
    callback_claim(callback=claimed, user=UserFactory())  # claimed: still due
    cancelled = schedule(windows=[(TODAY, time(9), time(10))])
    callback_cancel(callback=cancelled, reason="erledigt")
    reached = callback_attempt(
        callback=schedule(windows=[(TODAY, time(9), time(10))]), outcome="reached"
    )
    assert callbacks_due_count(NOW) == 2  # running and claimed
    assert callbacks_due_count(at(TODAY, 11)) == 3  # later has started; claimed is missed
    assert {running.pk, later.pk, claimed.pk}.isdisjoint({cancelled.pk, reached.pk})
    assert callbacks_due_count(_day_ago(15)) == 0  # everything has expired


def test_the_dashboard_keeps_counting_a_missed_callback_after_it_expired():
    """The manager's "missed" and "overdue" figures are the list's states: a missed callback
    counts as missed from the end of its last window on, expired or not; only the queue and
    the navigation let it go."""
    schedule(windows=[(TODAY, time(14), time(15))])
    march = Period(date(2026, 3, 1), date(2026, 3, 31))
    february = Period(date(2026, 2, 1), date(2026, 2, 28))
    for now in (_day_ago(1), _day_ago(20)):
        assert board.callback_figures(march, february, now)["missed"].value == 1
        assert list(board.callbacks_overdue(now)) == []


# --- claim, release, and my callbacks ----------------------------------------------------


def test_a_claim_can_be_released_by_anyone_at_the_desk():
    anna, ben = UserFactory(first_name="Anna"), UserFactory()
    callback = callback_claim(callback=schedule(), user=anna)
    callback = callback_release(callback=callback, user=ben)  # Anna went home
    assert callback.claimed_by is None and callback.claimed_at is None
    assert callback_claim(callback=callback, user=ben).claimed_by == ben
    with pytest.raises(ValidationError, match="Nobody has claimed"):
        callback_release(callback=schedule(), user=ben)
    done = callback_attempt(callback=callback, outcome="reached", user=ben)
    with pytest.raises(ValidationError, match="closed"):
        callback_release(callback=done, user=ben)


def test_my_callbacks_are_mine_whenever_and_the_unclaimed_due_now():
    me, colleague = UserFactory(), UserFactory()
    mine_later = callback_claim(callback=schedule(windows=[(TODAY, time(16), time(17))]), user=me)
    free_now = schedule(windows=[(TODAY, time(9), time(10))])
    schedule(windows=[(TODAY, time(16), time(17))])  # nobody's, not yet due
    callback_claim(callback=schedule(windows=[(TODAY, time(9), time(10))]), user=colleague)
    assert ids(callbacks_for(user=me, now=NOW)) == [free_now.pk, mine_later.pk]
    assert ids(callbacks_for(user=me, now=_day_ago(15))) == []  # expired: no longer work


# --- the attempt form --------------------------------------------------------------------


def test_the_attempt_form_preselects_no_outcome():
    form = AttemptForm()
    assert form.fields["outcome"].choices[0][0] == ""
    assert not AttemptForm({"note": "Combox"}).is_valid()
    assert not AttemptForm({"outcome": "", "note": "Combox"}).is_valid()
    assert AttemptForm({"outcome": "busy"}).is_valid()


# --- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "shown"),
    [
        (datetime(2026, 3, 2, 14, 5, tzinfo=ZURICH), "02.03. 14:05"),
        (datetime(2025, 12, 30, 8, 0, tzinfo=ZURICH), "30.12.2025 08:00"),
        (datetime(2027, 1, 4, 8, 0, tzinfo=ZURICH), "04.01.2027 08:00"),
        (datetime(2026, 12, 31, 23, 30, tzinfo=ZoneInfo("UTC")), "01.01.2027 00:30"),  # Zurich
    ],
)
def test_dates_show_the_year_when_it_is_not_this_year(instant, shown):
    assert Template("{% load when %}{{ v|when }}").render(Context({"v": instant})) == shown


def test_a_window_shows_its_day_and_times():
    callback = schedule(windows=[(date(2027, 1, 5), time(8), time(9)), (TODAY, time(14), time(16))])
    text = Template("{% load when %}{% for w in c.windows.all %}{{ w|window }}|{% endfor %}")
    with time_machine.travel(NOW, tick=False):
        shown = text.render(Context({"c": callback}))
    assert shown.endswith("02.03. 14:00–16:00|Tue 05.01.2027 08:00–09:00|") and shown.startswith(
        "Mon "
    )


# --- pages -------------------------------------------------------------------------------


@pytest.fixture
def desk(client, user_with_role):
    client.force_login(user_with_role(Role.SUPPORT, username="stefan", first_name="Stefan"))
    return client


def _two_windows_and_an_attempt(note="Combox besprochen"):
    callback = schedule(
        windows=[(TODAY, time(9), time(10)), (TODAY + timedelta(days=1), time(14), time(15))]
    )
    callback_attempt(callback=callback, outcome="voicemail", note=note, user=UserFactory())
    return callback


def test_the_queue_row_shows_each_window_and_each_attempt_with_its_note(desk):
    callback = _two_windows_and_an_attempt()
    html = desk.get("/callbacks/").content.decode()
    assert html.count('data-testid="window"') == 2
    assert "02.03. 09:00–10:00" in html and "03.03. 14:00–15:00" in html
    assert 'data-testid="attempt"' in html and "Combox besprochen" in html
    # The outcome select starts empty and must be chosen.
    assert f'<select name="outcome" id="outcome-{callback.pk}" class="form-select' in html
    assert '<option value="">' in html and "required" in html
    assert 'data-testid="cancel-form"' in html and 'data-testid="release"' in html


def test_all_callbacks_list_shows_windows_and_attempts(desk):
    _two_windows_and_an_attempt(note="Bitte am Nachmittag")
    html = desk.get("/callbacks/all/").content.decode()
    assert "02.03. 09:00–10:00" in html and "03.03. 14:00–15:00" in html
    assert "Bitte am Nachmittag" in html
    export = desk.get("/callbacks/all/", {"_export": "csv"}).content.decode("utf-8-sig")
    assert "02.03.2026 09:00–10:00; 03.03.2026 14:00–15:00" in export
    assert "Bitte am Nachmittag" in export


def test_expired_callbacks_are_listed_under_their_state(desk):
    old = schedule(windows=[(TODAY, time(14), time(15))])
    schedule(windows=[(TODAY + timedelta(days=20), time(14), time(15))])
    with time_machine.travel(_day_ago(16)):
        desk.force_login(User.objects.get(username="stefan"))  # the old session has ended
        listed = desk.get("/callbacks/all/", {"state": "expired"}).context["table"]
        assert [row.record.pk for row in listed.rows] == [old.pk]
        queue = desk.get("/callbacks/")
        assert ids(queue.context["missed"]) == [] and len(queue.context["waiting"]) == 1


def test_the_case_page_shows_two_windows_as_two(desk):
    callback = _two_windows_and_an_attempt()
    html = desk.get(f"/cases/{callback.case_id}/").content.decode()
    assert html.count('data-testid="case-callback-window"') == 2
    assert 'data-testid="timeline-attempt"' in html and "Combox besprochen" in html


@pytest.mark.parametrize(
    ("back", "where"), [("case", "case"), ("queue", "/callbacks/"), ("", "/callbacks/")]
)
def test_cancel_from_the_queue_or_the_case_page(desk, back, where):
    callback = schedule()
    response = desk.post(
        f"/callbacks/{callback.pk}/cancel/", {"reason": "Kunde erreicht", "back": back}
    )
    expected = f"/cases/{callback.case_id}/" if where == "case" else where
    assert response.status_code == 302 and response["Location"] == expected
    callback.refresh_from_db()
    assert callback.status == "cancelled"
    assert "Kunde erreicht" in CaseNote.objects.get().text


def test_cancel_without_a_reason_on_the_page_says_so_and_keeps_it(desk):
    callback = schedule()
    response = desk.post(f"/callbacks/{callback.pk}/cancel/", {"reason": " "}, follow=True)
    callback.refresh_from_db()
    assert callback.status == "open"
    assert [m.level_tag for m in response.context["messages"]] == ["error"]  # says why not
    assert not CaseNote.objects.exists()


def test_release_from_the_page(desk):
    callback = callback_claim(callback=schedule(), user=UserFactory())
    response = desk.post(f"/callbacks/{callback.pk}/release/", {"back": "case"})
    assert response["Location"] == f"/cases/{callback.case_id}/"
    callback.refresh_from_db()
    assert callback.claimed_by is None


def test_an_attempt_without_outcome_is_refused_on_the_page(desk):
    callback = schedule()
    response = desk.post(f"/callbacks/{callback.pk}/attempt/", {"outcome": "", "note": "x"})
    assert response.status_code == 302
    assert not CallbackAttempt.objects.exists()


def test_the_new_actions_need_login_and_the_desk_role(client, user_with_role):
    callback = callback_claim(callback=schedule(), user=UserFactory())
    for action in ("cancel", "release"):
        response = client.post(f"/callbacks/{callback.pk}/{action}/", {"reason": "x"})
        assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(user_with_role(Role.MANAGER))
    for action in ("cancel", "release"):
        assert (
            client.post(f"/callbacks/{callback.pk}/{action}/", {"reason": "x"}).status_code == 403
        )
    client.force_login(user_with_role(Role.SUPPORT))
    assert client.get(f"/callbacks/{callback.pk}/cancel/").status_code == 405
    callback.refresh_from_db()
    assert callback.status == "open" and callback.claimed_by is not None


@pytest.mark.parametrize("rows", [1, 30])
def test_all_callbacks_query_budget(desk, django_assert_max_num_queries, rows):
    for n in range(rows):
        callback = schedule(
            windows=[
                (TODAY, time(10), time(11)),
                (TODAY + timedelta(days=n % 3 + 1), time(14), time(15)),
            ]
        )
        callback_attempt(callback=callback, outcome="busy", note=f"Versuch {n}")
    # session, user, 2 permissions, roles; count, rows, windows, attempts; 2 navigation counts
    with django_assert_max_num_queries(11):
        response = desk.get("/callbacks/all/")
    assert response.status_code == 200
    assert response.content.decode().count("Versuch ") == rows


def test_the_list_of_all_callbacks_says_why_one_was_cancelled(client, user_with_role):
    callback_cancel(callback=schedule(), reason="Kunde hat selbst angerufen")
    client.force_login(user_with_role(Role.SUPPORT))
    assert "Kunde hat selbst angerufen" in client.get("/callbacks/all/").content.decode()
    csv = client.get("/callbacks/all/", {"_export": "csv"}).content.decode("utf-8-sig")
    assert "Kunde hat selbst angerufen" in csv


def test_a_cancel_reason_longer_than_its_column_is_refused_not_cut():
    callback = schedule()
    with pytest.raises(ValidationError, match="at most 200 characters"):
        callback_cancel(callback=callback, reason="x" * 201)
    assert Callback.objects.get(pk=callback.pk).status == "open"
