"""Property tests of the ledger on random sequences of postings, reversals and the marking
(and unmarking) of a case as a verified software error.

For every customer: charged = credit + billable + free; no grant below zero (nor above what
it granted); each case and activity is charged exactly its logged total rounded up to the
unit (R5); a marked case charges nothing for its support answers and data checks (R9), an
unmarked one charges them as logged; reversing the last posting restores every balance
exactly.
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from billing.models import CreditGrant, Usage
from billing.rules import charged_minutes, round_money
from billing.services import record_usage, usage_reverse
from cases.models import Case, Channel, TimeEntry
from cases.services import (
    case_mark_verified_bug,
    case_unmark_verified_bug,
    time_entry_add,
    time_entry_remove,
)
from customers.selectors import support_status
from customers.services import half_fare_subscribe
from tests.factories import (
    ContactFactory,
    LicenceFactory,
    RentalPeriodFactory,
    rental_customer,
    support_plus,
)

# The activities of the concept (R4) and those a verified software error makes free (R9),
# written out here so that the check does not read the rules it checks.
ACTIVITIES = [
    "support",
    "data_check",
    "training",
    "forms",
    "programming",
    "first_install",
    "verified_bug",
]
FREE_ON_VERIFIED_BUG = {"support", "data_check"}
START = date(2026, 1, 1)
ZURICH = ZoneInfo("Europe/Zurich")
post_op = st.tuples(
    st.just("post"),
    # Few cases and activities, small and large minutes: postings share cases and interact
    # through the rounding and the credit.
    st.sampled_from(["support", "support", "data_check", *ACTIVITIES]),
    st.one_of(st.integers(min_value=1, max_value=12), st.integers(min_value=1, max_value=180)),
    st.sampled_from(["C-1", "C-2"]),
    st.integers(min_value=0, max_value=364),
    st.booleans(),  # for the registered Support+ person?
)
reverse_op = st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=10_000))
# Mark or unmark one of the two cases as a verified software error (R9).
bug_op = st.tuples(st.sampled_from(["mark", "unmark"]), st.sampled_from([0, 1]))
operations = st.lists(st.one_of(post_op, post_op, reverse_op, bug_op), min_size=1, max_size=20)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


class LedgerProperties(TestCase):
    def _customer(self, half_fare: bool):
        customer = rental_customer(
            variant="premium", modules=["COFI", "SAL"], rent=Decimal("1500.00")
        )
        # A second licence whose credit expires mid-year: buckets of different validity.
        older = LicenceFactory(customer=customer, variant="advanced", modules=["FAC"])
        RentalPeriodFactory(
            licence=older, start=date(2025, 7, 1), end=date(2026, 6, 30), annual_rent=Decimal(300)
        )
        anna, ben = ContactFactory(customer=customer), ContactFactory(customer=customer)
        if half_fare:
            half_fare_subscribe(customer=customer, start=START, end=date(2026, 12, 31))
        support_plus(customer, [anna])
        return customer, anna, ben

    def _cases(self, customer):
        """Two cases received on the first day, as the desk opens them (R13)."""
        return [
            Case.objects.create(
                customer=customer, channel=Channel.PHONE, subject=f"Case {n}", opened_on=START
            )
            for n in (1, 2)
        ]

    def _run(self, customer, anna, ben, ops):
        cases = self._cases(customer)
        for op in ops:
            if op[0] == "post":
                _, activity, minutes, ref, offset, registered = op
                case = cases[0] if ref == "C-1" else cases[1]
                Case.objects.filter(pk=case.pk).update(contact=anna if registered else ben)
                day = START + timedelta(days=offset)
                # Time is logged on the day it is done (R13).
                with time_machine.travel(datetime.combine(day, time(17), tzinfo=ZURICH)):
                    entry = time_entry_add(
                        case=case, activity=activity, minutes=minutes, performed_on=day
                    )
                self._check_nothing_billed_while_credit_remains(customer, entry.usage)
            elif op[0] == "reverse":
                live = list(
                    TimeEntry.objects.filter(
                        case__customer=customer, reversal__isnull=True
                    ).order_by("id")
                )
                if live:
                    time_entry_remove(entry=live[op[1] % len(live)])
            elif op[0] == "mark":
                case_mark_verified_bug(case=cases[op[1]], bug_reference="Q3-4711")
            elif Case.objects.get(pk=cases[op[1]].pk).verified_bug_at is not None:
                case_unmark_verified_bug(case=cases[op[1]])
            self._check_invariants(customer)
        return cases

    def _check_nothing_billed_while_credit_remains(self, customer, usage):
        """R8: a posting is billable only once every bucket that covers it is empty.

        The coverage is restated here from DESIGN R4/R7, and what is left of a bucket is
        computed from its draws, independently of the code.
        """
        if usage.billable_minutes <= 0:
            return
        registered = support_status(customer=customer, on=usage.performed_on).is_registered(
            usage.contact
        )
        covering = {
            "support": {"licence", "support_plus"} if registered else {"licence"},
            "data_check": {"licence", "support_plus"} if registered else set(),
            "training": {"licence", "support_plus"} if registered else set(),
        }.get(usage.activity, set())
        left = [
            grant
            for grant in CreditGrant.objects.filter(
                customer=customer,
                source__in=covering,
                valid_from__lte=usage.performed_on,
                valid_to__gte=usage.performed_on,
            )
            if grant.minutes - (grant.draws.aggregate(total=Sum("minutes"))["total"] or 0) > 0
        ]
        assert left == [], (usage, left)

    def _check_verified_bug_charging(self, customer):
        """R9: on a marked case, support answers and data checks are free (none invoiced
        here); every other activity, and every case not marked, is charged as logged."""
        for case in Case.objects.filter(customer=customer):
            live = case.time_entries.filter(reversal__isnull=True)
            logged = defaultdict(int)
            for entry in live:
                charged_as = entry.activity
                if case.verified_bug_at is not None and entry.activity in FREE_ON_VERIFIED_BUG:
                    charged_as = "verified_bug"
                logged[charged_as] += entry.minutes
            for activity in ACTIVITIES:
                total = Usage.objects.filter(
                    customer=customer, work_ref=case.reference, activity=activity
                ).aggregate(logged=Sum("logged_minutes"))["logged"]
                assert (total or 0) == logged[activity], (case, activity)
            # Each entry points to its one live posting (a repost replaced the reversed one).
            reversed_ids = set(
                Usage.objects.filter(reverses__in=[e.usage_id for e in live]).values_list(
                    "reverses_id", flat=True
                )
            )
            assert reversed_ids == set(), (case, reversed_ids)

    def _check_invariants(self, customer):
        usages = list(Usage.objects.filter(customer=customer))
        for u in usages:
            assert u.charged_minutes == u.credit_minutes + u.billable_minutes + u.free_minutes
            drawn = sum(d.minutes for d in u.draws.all())
            assert drawn == u.credit_minutes
        for grant in CreditGrant.objects.filter(customer=customer):
            used = grant.draws.aggregate(total=Sum("minutes"))["total"] or 0
            assert 0 <= used <= grant.minutes, (grant, used)
        buckets = defaultdict(lambda: [0, 0, 0, 0, 0])
        for u in usages:
            b = buckets[(u.work_ref, u.activity)]
            b[0] += u.logged_minutes
            b[1] += u.charged_minutes
            b[2] += u.credit_minutes
            b[3] += u.billable_minutes
            b[4] += u.free_minutes
        for (_, _activity), (logged, charged, credit, billable, free) in buckets.items():
            assert charged == charged_minutes(logged, 5)
            assert min(credit, billable, free) >= 0
        self._check_verified_bug_charging(customer)

    @SETTINGS
    @given(ops=operations, half_fare=st.booleans())
    def test_invariants_hold_after_every_posting_and_reversal(self, ops, half_fare):
        customer, anna, ben = self._customer(half_fare)
        self._run(customer, anna, ben, ops)

    @SETTINGS
    @given(ops=operations, last=post_op)
    def test_reversing_the_last_posting_restores_every_balance(self, ops, last):
        customer, anna, ben = self._customer(half_fare=False)
        cases = self._run(customer, anna, ben, ops)

        def snapshot():
            grants = {
                g.pk: g.draws.aggregate(total=Sum("minutes"))["total"] or 0
                for g in CreditGrant.objects.filter(customer=customer)
            }
            totals = Usage.objects.filter(customer=customer).aggregate(
                charged=Sum("charged_minutes"),
                credit=Sum("credit_minutes"),
                billable=Sum("billable_minutes"),
                free=Sum("free_minutes"),
                amount=Sum("amount"),
            )
            # SQLite sums decimals as floats: compare to the centime, as money is shown.
            totals["amount"] = round_money(Decimal(str(totals["amount"] or 0)))
            return grants, {k: v or 0 for k, v in totals.items()}

        before = snapshot()
        _, activity, minutes, ref, offset, registered = last
        usage = record_usage(
            customer=customer,
            activity=activity,
            minutes=minutes,
            performed_on=START + timedelta(days=offset),
            work_ref=cases[0].reference if ref == "C-1" else cases[1].reference,
            contact=anna if registered else ben,
        )
        usage_reverse(usage=usage)
        assert snapshot() == before

    @SETTINGS
    @given(ops=operations, which=st.sampled_from([0, 1]))
    def test_marking_then_unmarking_restores_what_the_case_is_charged(self, ops, which):
        customer, anna, ben = self._customer(half_fare=False)
        cases = self._run(customer, anna, ben, ops)
        case = Case.objects.get(pk=cases[which].pk)
        if case.verified_bug_at is not None:
            case_unmark_verified_bug(case=case)

        def charged():
            return {
                row["activity"]: (row["logged"], row["charged"], row["free"])
                for row in Usage.objects.filter(work_ref=case.reference)
                .values("activity")
                .annotate(
                    logged=Sum("logged_minutes"),
                    charged=Sum("charged_minutes"),
                    free=Sum("free_minutes"),
                )
                .order_by("activity")
                if row["logged"]
            }

        before = charged()
        case_mark_verified_bug(case=case, bug_reference="Q3-1")
        marked = charged()
        for activity in FREE_ON_VERIFIED_BUG:
            assert activity not in marked
        case_unmark_verified_bug(case=case)
        assert charged() == before
        self._check_invariants(customer)
