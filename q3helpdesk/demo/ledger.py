"""The demo's usage ledger, planned in memory through billing's own rules.

Posting one time entry at a time through :func:`billing.services.record_usage` costs a
dozen queries (lock, status, tariff, case totals, grants…); years of demo activity would
take hours. Here each customer's postings are planned in date order with the same pure
rule functions the desk's posting uses — :func:`billing.selectors.posting_rate`,
:func:`~billing.selectors.coverable_grants` and :func:`~billing.selectors.charge_posting`
(R4–R8, R12), :func:`cases.services.charged_as` (R9) and, for an entry logged twice by
mistake and taken back, :func:`billing.services.ledger.plan_reversal` — from the facts
loaded once per customer (:class:`~q3helpdesk.demo.planning.Facts`, its credit grants and
the tariffs). The results are unsaved :class:`Usage` and :class:`UsageDraw` rows that
``activity`` writes in bulk; ``checks`` verifies the written ledger afterwards.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError

from billing.models import CreditGrant, Tariff, Usage
from billing.selectors import charge_posting, coverable_grants, posting_rate
from billing.services.ledger import CaseBucket, plan_reversal
from cases.models import Case, TimeEntry
from cases.services import charged_as

from .planning import Facts, PlannedEntry
from .writing import build

DUPLICATE_NOTE = "Saisie en double"


class Tariffs:
    """Every tariff, loaded once with its activities and credit table (no query per day)."""

    def __init__(self) -> None:
        self.by_start = list(
            Tariff.objects.order_by("-valid_from").prefetch_related(
                "activities", "credit_allowances"
            )
        )
        self._on: dict[date, Tariff | None] = {}

    def on(self, day: date) -> Tariff | None:
        """The tariff in force on ``day`` (as ``tariff_in_force``), None before the first."""
        if day not in self._on:
            self._on[day] = next((t for t in self.by_start if t.valid_from <= day), None)
        return self._on[day]


@dataclass
class _Bucket:
    """A case's postings in one activity so far (what R5 and a reversal read)."""

    logged: int = 0
    charged: int = 0
    free: int = 0
    billable: dict[Decimal, tuple[int, int]] = field(default_factory=dict)  # rate: net, last
    drawn: dict[int, tuple[int, int]] = field(default_factory=dict)  # grant: net, last

    def add(self, usage: Usage, draws: list[tuple[int, int]], seq: int) -> None:
        self.logged += usage.logged_minutes
        self.charged += usage.charged_minutes
        self.free += usage.free_minutes
        net, _ = self.billable.get(usage.rate, (0, 0))
        self.billable[usage.rate] = (net + usage.billable_minutes, seq)
        for grant_id, minutes in draws:
            net, _ = self.drawn.get(grant_id, (0, 0))
            self.drawn[grant_id] = (net + minutes, seq)


@dataclass
class Posted:
    """An entry posted: its time entry (unsaved), its usage and, if taken back, the reversal."""

    entry: TimeEntry
    usage: Usage
    reversal: Usage | None = None


@dataclass
class CustomerLedger:
    """One customer's ledger in the making: usages in posting order and their draws."""

    facts: Facts
    grants: list[CreditGrant]
    tariffs: Tariffs
    counts: Counter
    left: dict[int, int] = field(default_factory=dict)
    usages: list[Usage] = field(default_factory=list)
    draws: list[tuple[Usage, int, int]] = field(default_factory=list)  # usage, grant, minutes
    posted: list[Posted] = field(default_factory=list)
    buckets: dict[tuple[str, str], _Bucket] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # What is left of each grant (drawn before: none, the customer has no case yet).
        self.left = {g.pk: g.minutes for g in self.grants}

    def post(self, case: Case, entry: PlannedEntry) -> Posted | None:
        """Post ``entry`` of ``case`` as ``record_usage`` would; None where it refuses."""
        facts, day = self.facts, entry.day
        tariff = self.tariffs.on(day)
        if tariff is None or not facts.eligible(day):  # no tariff yet; R1
            self.counts["entries_refused"] += 1
            return None
        activity = charged_as(case, entry.activity, on=day, tariff=tariff)
        try:
            row = tariff.activity(activity)
        except ValidationError:
            self.counts["entries_refused"] += 1
            return None
        if row.first_rental_period_only and not facts.first_period(day):  # R9
            self.counts["entries_refused"] += 1
            return None
        half_fare, rate = posting_rate(row, half_fare_subscription=facts.half_fare(day))
        bucket = self.buckets.setdefault((case.reference, activity), _Bucket())
        contact = case.contact
        registered = contact is not None and contact.pk in facts.registered(day)
        sources = row.credit_sources(registered=registered)
        grants = coverable_grants(self.grants, sources=sources, on=day)
        charge = charge_posting(
            row=row,
            unit=tariff.unit_minutes,
            minutes=entry.minutes,
            before_logged=bucket.logged,
            before_charged=bucket.charged,
            before_billable=bucket.billable.get(rate, (0, 0))[0],
            grants=[(g, self.left[g.pk]) for g in grants],
            half_fare=half_fare,
            rate=rate,
        )
        usage = build(
            Usage,
            customer_id=facts.customer.pk,
            activity=activity,
            work_ref=case.reference,
            performed_on=day,
            logged_minutes=charge.logged,
            charged_minutes=charge.charged,
            credit_minutes=charge.credit,
            billable_minutes=charge.billable,
            free_minutes=charge.free,
            rate=charge.rate,
            amount=charge.amount,
            half_fare=charge.half_fare,
            tariff_id=tariff.pk,
            contact_id=contact.pk if contact is not None else None,
            label=case.subject[:200].strip(),
            performed_by_id=entry.performed_by.pk if entry.performed_by else None,
        )
        draws = [(grant.pk, minutes) for grant, minutes in charge.draws]
        self._book(usage, bucket, draws)
        posted = Posted(
            entry=build(
                TimeEntry,
                {"usage": usage},
                case_id=case.pk,
                activity=entry.activity,
                minutes=entry.minutes,
                performed_on=day,
                created_by_id=entry.performed_by.pk if entry.performed_by else None,
                created_at=entry.logged_at,
            ),
            usage=usage,
        )
        self.posted.append(posted)
        if entry.remove:
            self._take_back(posted, bucket, draws, tariff)
        return posted

    def _book(self, usage: Usage, bucket: _Bucket, draws: list[tuple[int, int]]) -> None:
        self.usages.append(usage)
        bucket.add(usage, draws, len(self.usages))
        for grant_id, minutes in draws:
            self.left[grant_id] -= minutes
            self.draws.append((usage, grant_id, minutes))

    def _take_back(
        self, posted: Posted, bucket: _Bucket, own_draws: list[tuple[int, int]], tariff: Tariff
    ) -> None:
        """Logged twice by mistake and removed at once: ``time_entry_remove`` posts the
        reversal that ``usage_reverse`` plans."""
        usage = posted.usage
        plan = plan_reversal(
            usage=usage,
            own_draws=own_draws,
            bucket=CaseBucket(
                logged=bucket.logged,
                charged=bucket.charged,
                billable=dict(bucket.billable),
                drawn=dict(bucket.drawn),
                free=bucket.free,
            ),
            unit=tariff.unit_minutes,
        )
        reversal = build(Usage, **plan.reversal_fields(usage, reason=DUPLICATE_NOTE))
        self._book(reversal, bucket, [(g, -m) for g, m in plan.draws])
        posted.reversal = reversal
        posted.entry._state.fields_cache["reversal"] = reversal
        posted.entry.removed_by_id = posted.entry.created_by_id
        self.counts["time_entries_removed"] += 1
