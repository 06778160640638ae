"""Planning a customer's year of desk activity for the demo (see ``activity``).

Pure planning: unsaved cases, time entries and callbacks with their historic instants,
drawn from a random generator seeded per customer. Nothing here queries the database;
what decides a customer's support is loaded once into :class:`Facts`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from billing.models import VERIFIED_ERROR
from cases.models import (
    AttemptOutcome,
    Callback,
    CallbackStatus,
    Case,
    CaseKind,
    CaseStatus,
    Channel,
)
from customers.models import Contact, Customer

from .data import CALLBACK_PREFIX, INSTALL_SUBJECT, LEAD_SUBJECTS, REMOTE_SUBJECTS, SUBJECTS
from .days import is_working_day, local_instant, next_working_day
from .days import minute_of as _minute_of

OPENS, CLOSES = 8 * 60, 17 * 60 + 30  # office hours, in minutes of the day
LUNCH = (12 * 60, 13 * 60 + 15)


@dataclass(frozen=True)
class Profile:
    """How busy a kind of customer is, per working day and per case."""

    case_rate: float  # chance of a new case on a working day when the customer is eligible
    lead_rate: float  # chance of a rental-switch lead on a working day when it is not
    callback_share: float  # share of the phone cases that get a callback
    # How unevenly the cases spread over the customers: each customer's case rate is
    # ``case_rate`` times a weight drawn from a gamma distribution of mean 1 and this shape
    # (0: every customer alike). Real desks hear from many customers rarely and from a few
    # often; the quiet ones keep part of their yearly credit (R3), which the demo must show.
    spread: float = 0.0


# The 14 hand-written customers: 20-30 cases a month in all, ~8 callbacks, a few leads,
# so that the manager's dashboard looks alive. Generated customers: about five cases per
# eligible customer and year, two time entries per case (a fifth of the customers are not
# eligible on a given day: ~33k cases and ~65k time entries a year at 10000).
DEMO = Profile(case_rate=0.11, lead_rate=0.045, callback_share=0.5)
# Among the hand-written customers some call rarely, so that their yearly credit is not
# used up (the credit bar and statement must show remaining minutes), others all the more.
DEMO_WEIGHTS = {
    "10001": 1.6,
    "10002": 1.7,
    "10003": 0.01,
    "10004": 1.7,
    "10005": 1.5,
    "10008": 1.5,
    "10009": 1.7,
    "10010": 0.1,
    "10011": 0.05,
    "10012": 0.01,
}
GENERATED = Profile(case_rate=5.0 / 250, lead_rate=0.3 / 250, callback_share=0.2, spread=0.45)

# Further time entries of a case, after the first one (weights).
LATER_ACTIVITIES = [
    ("support", 70),
    ("data_check", 10),
    ("forms", 8),
    ("training", 6),
    ("programming", 6),
]
# Logged minutes per activity: (low, high, mode) of a triangular distribution.
MINUTES = {
    "support": (3, 25, 6),
    "data_check": (15, 60, 25),
    "training": (30, 120, 60),
    "forms": (20, 90, 40),
    "programming": (30, 240, 90),
    VERIFIED_ERROR: (10, 60, 20),
    "first_install": (30, 120, 60),
}


# --- what is known about a customer -------------------------------------------------------


@dataclass
class Facts:
    """A customer with what decides its support, loaded once (no query per case)."""

    customer: Customer
    profile: Profile
    contacts: list[Contact] = field(default_factory=list)
    periods: list[tuple[date, date, bool]] = field(default_factory=list)  # (start, end, first)
    support_plus: dict[tuple[date, date], set[int]] = field(default_factory=dict)
    half_fares: list[tuple[date, date]] = field(default_factory=list)

    @property
    def language(self) -> str:
        return "de" if self.customer.language == "de" else "fr"

    def eligible(self, day: date) -> bool:
        """R1: a rental period covers the day."""
        return any(start <= day <= end for start, end, _ in self.periods)

    def first_period(self, day: date) -> bool:
        """The day falls into the first rental period of a licence (first installation)."""
        return any(first and start <= day <= end for start, end, first in self.periods)

    def half_fare(self, day: date) -> bool:
        """A half-fare subscription covers the day (R6)."""
        return any(start <= day <= end for start, end in self.half_fares)

    def registered(self, day: date) -> set[int]:
        """The contacts registered for Support+ on ``day``."""
        for (start, end), contacts in self.support_plus.items():
            if start <= day <= end:
                return contacts
        return set()


# --- planning -----------------------------------------------------------------------------


@dataclass
class PlannedEntry:
    day: date
    activity: str
    minutes: int
    logged_at: datetime
    performed_by: User | None
    remove: bool = False  # logged twice by mistake: taken back after posting


@dataclass
class PlannedCallback:
    callback: Callback
    requested_at: datetime
    windows: list[tuple[datetime, datetime]]
    attempts: list[tuple[datetime, str]]


@dataclass
class PlannedCase:
    case: Case
    created_at: datetime
    updated_at: datetime
    entries: list[PlannedEntry] = field(default_factory=list)
    callback: PlannedCallback | None = None


class Planner:
    """Plans one customer's year from its own random generator (reproducible per customer)."""

    def __init__(
        self, *, facts: Facts, seed: int, today: date, now: datetime, users: dict[str, User]
    ):
        self.facts = facts
        self.rng = random.Random(f"{seed}:{facts.customer.number}")
        self.today = today
        self.now = now
        self.support = users.get("support")
        self.infoline = users.get("infoline")

    # instants

    def instant(self, day: date, after: datetime | None = None) -> datetime | None:
        """A random instant in office hours on ``day``, after ``after``, not after now."""
        if day > self.today:
            return None
        low, high = OPENS, CLOSES
        if after is not None and timezone.localtime(after).date() == day:
            low = max(low, _minute_of(after) + 1)
        elif after is not None and timezone.localtime(after).date() > day:
            return None
        if day == self.today:
            high = min(high, _minute_of(self.now) - 1)
        if low > high:
            return None
        minute = self.rng.randint(low, high)
        if LUNCH[0] <= minute < LUNCH[1] and self.rng.random() < 0.8:
            minute = self.rng.randint(low, high)  # fewer calls over lunch
        return local_instant(day, minute, self.rng.randint(0, 59))

    def later(self, after: datetime) -> datetime | None:
        """An office-hours instant after ``after``: that day or one of the next working days."""
        day = timezone.localtime(after).date()
        for step in range(4):
            found = self.instant(next_working_day(day, step), after)
            if found is not None:
                return found
        return None

    def between(self, start: datetime, end: datetime) -> datetime:
        seconds = max(int((end - start).total_seconds()), 1)
        return start + timedelta(seconds=self.rng.randint(0, seconds - 1))

    def minutes(self, activity: str) -> int:
        low, high, mode = MINUTES[activity]
        return max(low, min(high, round(self.rng.triangular(low, high, mode))))

    # the year

    def plan(self, working_days: list[date]) -> list[PlannedCase]:
        profile, rng = self.facts.profile, self.rng
        if profile.spread:
            weight = rng.gammavariate(profile.spread, 1 / profile.spread)
        else:
            weight = DEMO_WEIGHTS.get(self.facts.customer.number, 1.0) if profile is DEMO else 1.0
        case_rate = profile.case_rate * weight
        top = max(case_rate, profile.lead_rate)
        planned = []
        for day in working_days:
            roll = rng.random()
            if roll >= top:
                continue
            if self.facts.eligible(day):
                if roll < case_rate:
                    planned.append(self.plan_case(day))
            elif roll < profile.lead_rate:
                planned.append(self.plan_lead(day))
        return [p for p in planned if p is not None]

    def _contact(self) -> Contact | None:
        contacts = self.facts.contacts
        return self.rng.choice(contacts) if contacts else None

    def plan_lead(self, day: date) -> PlannedCase | None:
        rng = self.rng
        created = self.instant(day)
        if created is None:
            return None
        age = (self.today - day).days
        closed = rng.random() < (0.85 if age > 10 else 0.3)
        updated = created
        if closed:
            later = self.instant(next_working_day(day, rng.choice((0, 1, 2, 5))), created)
            updated = later or created
        case = Case(
            customer=self.facts.customer,
            contact=self._contact(),
            kind=CaseKind.LEAD,
            channel=rng.choices([Channel.PHONE, Channel.EMAIL], [70, 30])[0],
            subject=rng.choice(LEAD_SUBJECTS[self.facts.language]),
            opened_on=day,
            status=CaseStatus.CLOSED if closed else CaseStatus.OPEN,
            created_by=self.infoline,
            assignee=self.infoline if rng.random() < 0.5 else None,
        )
        return PlannedCase(case=case, created_at=created, updated_at=updated)

    def plan_case(self, day: date) -> PlannedCase | None:
        rng, facts = self.rng, self.facts
        created = self.instant(day)
        if created is None:
            return None
        contact = self._contact()
        registered = contact is not None and contact.pk in facts.registered(day)
        if registered and rng.random() < 0.6:
            channel = Channel.SUPPORT_PLUS
        else:
            channel = rng.choices([Channel.PHONE, Channel.EMAIL, Channel.REMOTE], [62, 28, 10])[0]
        install = facts.first_period(day) and rng.random() < 0.03
        if install:
            subject = INSTALL_SUBJECT[facts.language]
        elif channel == Channel.REMOTE:
            subject = rng.choice(REMOTE_SUBJECTS[facts.language])
        else:
            subject = rng.choice(SUBJECTS[facts.language])
        assignee = rng.choices([self.support, self.infoline, None], [65, 20, 15])[0]
        case = Case(
            customer=facts.customer,
            contact=contact,
            kind=CaseKind.CASE,
            channel=channel,
            subject=subject,
            opened_on=day,
            support_plus=registered,
            created_by=self.infoline if channel != Channel.EMAIL else self.support,
            assignee=assignee,
        )
        planned = PlannedCase(case=case, created_at=created, updated_at=created)

        work_at = created
        if channel in (Channel.PHONE, Channel.SUPPORT_PLUS) and rng.random() < (
            facts.profile.callback_share
        ):
            planned.callback = self.plan_callback(case, created)
            callback = planned.callback.callback
            if callback.closed_at is None:  # the customer is still to be reached: no work yet
                missed = callback.last_window_end < self.now
                case.status = CaseStatus.WAITING if missed else CaseStatus.OPEN
                planned.updated_at = planned.callback.requested_at
                return planned
            # The work starts when the customer is reached (or calls again: cancelled).
            work_at = callback.closed_at

        self.plan_entries(planned, work_at, install)
        self.plan_status(planned, day)
        return planned

    def plan_entries(self, planned: PlannedCase, work_at: datetime, install: bool) -> None:
        rng, case = self.rng, planned.case
        performer = case.assignee or self.support
        bug_reference = ""
        if install:
            activities = ["first_install"]
        else:
            count = rng.choices([1, 2, 3, 4], [40, 30, 18, 12])[0]
            first = (
                "training" if case.channel == Channel.REMOTE and rng.random() < 0.6 else "support"
            )
            later = rng.choices(
                [a for a, _ in LATER_ACTIVITIES], [w for _, w in LATER_ACTIVITIES], k=count - 1
            )
            activities = [first, *later]
            if count >= 2 and rng.random() < 0.04:  # a software error, verified by Q3 (R9)
                # The desk logs support; the marking makes it free (the ledger charges
                # the case's support answers as verified_bug, also the first one).
                activities = [first] + ["support"] * (count - 1)
                bug_reference = f"Q3-{rng.randint(10000, 99999)}"
        age = (self.today - timezone.localtime(planned.created_at).date()).days
        if age <= 3 and not install and rng.random() < 0.3:
            activities = []  # just opened: nothing logged yet

        day = timezone.localtime(work_at).date()
        last = work_at
        for position, activity in enumerate(activities):
            if position:
                gap = rng.choice((0, 1, 1, 2, 3, 5))
                if bug_reference and case.verified_bug_at is None:
                    gap = max(gap, 1)  # the error is verified the day after the first call
                day = next_working_day(day, gap)
            if day > self.today or not self.facts.eligible(day):
                break
            minutes = self.minutes(activity)
            start = last if position == 0 else (self.instant(day, last) or last)
            logged_at = min(start + timedelta(minutes=minutes + rng.randint(1, 10)), self.now)
            if bug_reference and position and case.verified_bug_at is None:
                case.bug_reference, case.verified_bug_at = bug_reference, min(start, self.now)
            planned.entries.append(PlannedEntry(day, activity, minutes, logged_at, performer))
            # Logged twice by mistake, then removed. Only entries of 5 minutes or more, so
            # that the removal shows in the charged minutes (R5 may absorb a shorter one).
            if minutes >= 5 and rng.random() < 0.01:
                planned.entries.append(
                    PlannedEntry(day, activity, minutes, logged_at, performer, remove=True)
                )
            last = logged_at
        planned.updated_at = max(planned.created_at, last)

    def plan_status(self, planned: PlannedCase, day: date) -> None:
        """Older cases are mostly resolved or closed, recent ones mostly open or waiting."""
        rng, case = self.rng, planned.case
        age = (self.today - day).days
        if age > 30:
            weights = (3, 2, 40, 55)
        elif age > 7:
            weights = (25, 15, 45, 15)
        else:
            weights = (50, 20, 30, 0)
        status = rng.choices(
            [CaseStatus.OPEN, CaseStatus.WAITING, CaseStatus.RESOLVED, CaseStatus.CLOSED], weights
        )[0]
        if not planned.entries and status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
            status = CaseStatus.OPEN  # nothing was done: it cannot be resolved
        if status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
            last = planned.updated_at
            resolved_day = next_working_day(
                timezone.localtime(last).date(), rng.choice((0, 0, 0, 1, 2))
            )
            resolved = self.instant(resolved_day, last) if resolved_day <= self.today else None
            if resolved is None:
                status = CaseStatus.WAITING
            else:
                case.resolved_at = resolved
                planned.updated_at = resolved
                if status == CaseStatus.CLOSED:
                    closed_day = next_working_day(resolved_day, rng.choice((1, 2, 5, 10)))
                    closed = (
                        self.instant(closed_day, resolved) if closed_day <= self.today else None
                    )
                    if closed is None:
                        status = CaseStatus.RESOLVED
                    else:
                        planned.updated_at = closed
        case.status = status

    def plan_callback(self, case: Case, created: datetime) -> PlannedCallback:
        """Windows the customer gives and what became of the callback (R11)."""
        rng = self.rng
        requested = min(created + timedelta(minutes=rng.randint(1, 6)), self.now)
        windows: list[tuple[datetime, datetime]] = []
        earliest = requested + timedelta(minutes=20)
        for index in range(rng.choices([1, 2, 3], [50, 35, 15])[0]):
            day = timezone.localtime(earliest).date()
            minute = -(-_minute_of(earliest) // 30) * 30  # the next half hour
            same_day = is_working_day(day) and minute <= 15 * 60 and rng.random() < 0.7
            if not same_day:
                day = next_working_day(day)
                minute = rng.randrange(OPENS, 15 * 60 + 1, 30)
            elif index:
                minute = rng.randrange(minute, 15 * 60 + 1, 30)
            length = min(rng.choice((60, 90, 120, 180)), 18 * 60 - minute)
            start, end = local_instant(day, minute), local_instant(day, minute + length)
            windows.append((start, end))
            earliest = end + timedelta(minutes=30)
        attempts: list[tuple[datetime, str]] = []
        failed = (AttemptOutcome.NO_ANSWER, AttemptOutcome.BUSY, AttemptOutcome.VOICEMAIL)
        first_start, first_end = windows[0]
        status, closed_at = CallbackStatus.OPEN, None
        if windows[-1][1] >= self.now:  # a window is still to come: still open
            for start, end in windows:
                if start < self.now and rng.random() < 0.5:
                    attempts.append((self.between(start, min(end, self.now)), rng.choice(failed)))
        else:
            roll = rng.random()
            if roll < 0.72:  # reached in the first window
                if rng.random() < 0.25:
                    attempts.append((self.between(first_start, first_end), rng.choice(failed)))
                after = attempts[-1][0] if attempts else first_start
                attempts.append((self.between(after, first_end), AttemptOutcome.REACHED))
            elif roll < 0.86:  # reached, but after the first window
                if rng.random() < 0.5:
                    attempts.append((self.between(first_start, first_end), rng.choice(failed)))
                reached: datetime | None
                if len(windows) > 1:
                    start, end = rng.choice(windows[1:])
                    reached = self.between(start, end)
                else:
                    reached = self.later(first_end)
                if reached is not None:
                    attempts.append((reached, AttemptOutcome.REACHED))
            elif roll < 0.96:  # missed: every window passed without reaching the customer
                for start, end in windows:
                    if rng.random() < 0.5:
                        attempts.append((self.between(start, end), rng.choice(failed)))
            else:  # cancelled: the customer called again and was put through
                closed_at = self.later(requested)
                status = CallbackStatus.CANCELLED if closed_at else CallbackStatus.OPEN
        attempts.sort()
        if attempts and attempts[-1][1] == AttemptOutcome.REACHED:
            status, closed_at = CallbackStatus.DONE, attempts[-1][0]
        first_attempt = attempts[0][0] if attempts else None
        contact = case.contact
        phone = contact.phone if contact is not None and contact.phone else None
        callback = Callback(
            case=case,
            phone=phone or self.facts.customer.phone,
            reason=(CALLBACK_PREFIX[self.facts.language] + case.subject)[:200],
            support_plus=case.support_plus,
            status=status,
            first_window_start=first_start,
            first_window_end=first_end,
            last_window_end=max(end for _, end in windows),
            claimed_by=self.support if first_attempt else None,
            claimed_at=first_attempt,
            first_attempt_at=first_attempt,
            closed_at=closed_at,
            created_by=self.infoline,
        )
        return PlannedCallback(callback, requested, windows, attempts)
