"""A year of desk activity for the demo: cases, leads, time entries, callbacks and invoices.

For every demo (and, with ``--scale``, generated) customer that has no case yet, the last
twelve months are played day by day: calls and e-mails become cases on the days the
customer may get support (R1) and rental-switch leads on the other days; the time logged on
a case goes to the ledger through :func:`billing.services.record_usage` (R1–R9: the
5-minute unit per case and activity, credit drawn in date order, half-fare, amounts), in
date order per customer; the phone cases that could not be put through get callbacks in
the windows the customer gave (R11). The complete months, up to the month before last, are
then invoiced through the billing services. The planning is in ``planning`` (no
queries); cases, entries and callbacks are written here in bulk, so that ``seed_demo
--scale 10000`` takes minutes, not hours.

Each customer draws from its own seeded random generator, so the same customer gets the
same year on every run, and a customer with a case is left alone: running it again adds
nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from billing.models import Company, Invoice, InvoiceLine, InvoiceLineUsage, Usage, UsageDraw
from billing.services import invoice_discard, invoice_drafts, invoice_issue, record_usage
from cases.models import Callback, CallbackAttempt, CallbackWindow, Case, CaseKind, TimeEntry
from cases.services import charged_as, time_entry_remove
from customers.models import (
    Contact,
    Customer,
    HalfFareSubscription,
    LicenceKind,
    RentalPeriod,
    SupportPlusRegistration,
    SupportPlusSubscription,
)

from . import data as demo_data
from .planning import (
    DEMO,
    GENERATED,
    Facts,
    PlannedCase,
    Planner,
    Profile,
    activity_start,
    first_working_day,
    local_instant,
    month_start,
    working_days,
)
from .seeding import GENERATED_NUMBER_BASE

CUSTOMER_BATCH = 400  # customers planned, written and posted per transaction
DUPLICATE_NOTE = "Saisie en double"


# --- reading -------------------------------------------------------------------------------


def _customers_without_cases(scale: int) -> dict[int, Profile]:
    """The demo customers and the first ``scale`` generated ones that have no case yet."""
    demo_numbers = {c.number for c in demo_data.DEMO_CUSTOMERS}
    generated = {str(GENERATED_NUMBER_BASE + i) for i in range(1, scale + 1)}
    rows = (
        Customer.objects.filter(~Exists(Case.objects.filter(customer=OuterRef("pk"))))
        .values_list("pk", "number")
        .order_by("pk")
    )
    chosen = {}
    for pk, number in rows:
        if number in demo_numbers:
            chosen[pk] = DEMO
        elif number in generated:
            chosen[pk] = GENERATED
    return chosen


def _load_facts(ids_profiles: dict[int, Profile]) -> list[Facts]:
    """What decides the support of these customers, in five queries (not one per case)."""
    ids = list(ids_profiles)
    facts = {
        c.pk: Facts(customer=c, profile=ids_profiles[c.pk])
        for c in Customer.objects.filter(pk__in=ids).order_by("pk")
    }
    for contact in Contact.objects.filter(customer_id__in=ids).order_by("pk"):
        facts[contact.customer_id].contacts.append(contact)
    periods = (
        RentalPeriod.objects.filter(licence__customer_id__in=ids, licence__kind=LicenceKind.RENTAL)
        .values_list("licence__customer_id", "licence_id", "start", "end")
        .order_by("licence_id", "start")
    )
    seen_licences = set()
    for customer_id, licence_id, start, end in periods:
        facts[customer_id].periods.append((start, end, licence_id not in seen_licences))
        seen_licences.add(licence_id)
    registrations = SupportPlusRegistration.objects.filter(
        subscription__customer_id__in=ids
    ).values_list(
        "subscription__customer_id", "subscription__start", "subscription__end", "contact_id"
    )
    for customer_id, start, end, contact_id in registrations:
        facts[customer_id].support_plus.setdefault((start, end), set()).add(contact_id)
    return list(facts.values())


# --- writing ------------------------------------------------------------------------------


def _chunks(items: list, size: int) -> Iterator[list]:
    for offset in range(0, len(items), size):
        yield items[offset : offset + size]


def _write_batch(planned: list[PlannedCase], counts: Counter) -> None:
    """Cases, then the ledger (one usage per entry, in date order per customer), then the
    time entries and callbacks, all in bulk; the historic instants are set after the insert,
    because ``bulk_create`` stamps ``auto_now``/``auto_now_add`` fields with the present."""
    cases = Case.objects.bulk_create([p.case for p in planned], batch_size=500)
    for p in planned:
        p.case.created_at, p.case.updated_at = p.created_at, p.updated_at
    Case.objects.bulk_update(cases, ["created_at", "updated_at"], batch_size=500)
    counts["cases"] += sum(p.case.kind == CaseKind.CASE for p in planned)
    counts["leads"] += sum(p.case.kind == CaseKind.LEAD for p in planned)

    # The ledger: R5 and R8 need each customer's postings in the order the work was done.
    work = sorted(
        ((p, e) for p in planned for e in p.entries),
        key=lambda pe: (pe[0].case.customer_id, pe[1].day, pe[1].logged_at, pe[0].case.pk),
    )
    entries, logged_at, removals = [], [], []
    for p, e in work:
        case = p.case
        try:
            usage = record_usage(
                customer=case.customer,
                activity=charged_as(case, e.activity, on=e.day),
                minutes=e.minutes,
                performed_on=e.day,
                work_ref=case.reference,
                contact=case.contact,
                label=case.subject[:200],
                performed_by=e.performed_by,
            )
        except ValidationError:
            counts["entries_refused"] += 1  # e.g. a first installation out of the first period
            continue
        entry = TimeEntry(
            case=case,
            usage=usage,
            activity=e.activity,
            minutes=e.minutes,
            performed_on=e.day,
            created_by=e.performed_by,
        )
        entries.append(entry)
        logged_at.append(e.logged_at)
        if e.remove:
            removals.append((entry, e.performed_by))
    TimeEntry.objects.bulk_create(entries, batch_size=500)
    for entry, at in zip(entries, logged_at, strict=True):
        entry.created_at = at
    TimeEntry.objects.bulk_update(entries, ["created_at"], batch_size=500)
    counts["time_entries"] += len(entries)
    for entry, user in removals:
        time_entry_remove(entry=entry, removed_by=user, reason=DUPLICATE_NOTE)
    counts["time_entries_removed"] += len(removals)

    with_callback = [p.callback for p in planned if p.callback is not None]
    callbacks = Callback.objects.bulk_create([c.callback for c in with_callback], batch_size=500)
    for planned_callback in with_callback:
        planned_callback.callback.created_at = planned_callback.requested_at
    Callback.objects.bulk_update(callbacks, ["created_at"], batch_size=500)
    CallbackWindow.objects.bulk_create(
        [
            CallbackWindow(callback=c.callback, starts_at=start, ends_at=end)
            for c in with_callback
            for start, end in c.windows
        ],
        batch_size=500,
    )
    attempts = [
        CallbackAttempt(callback=c.callback, outcome=outcome, by=c.callback.claimed_by)
        for c in with_callback
        for _, outcome in c.attempts
    ]
    CallbackAttempt.objects.bulk_create(attempts, batch_size=500)
    times = [at for c in with_callback for at, _ in c.attempts]
    for attempt, at in zip(attempts, times, strict=True):
        attempt.at = at
    CallbackAttempt.objects.bulk_update(attempts, ["at"], batch_size=500)
    counts["callbacks"] += len(callbacks)
    counts["callback_attempts"] += len(attempts)


def _customers_with_news(month: date, period_end: date) -> list[Customer]:
    """Customers with unbilled billable work up to ``period_end``, or a subscription
    starting in the month: the only ones a run after the previous month's can bill."""
    ids = set(
        Usage.objects.filter(performed_on__lte=period_end, invoiced_at__isnull=True)
        .exclude(billable_minutes=0)
        .values_list("customer_id", flat=True)
    )
    for model in (SupportPlusSubscription, HalfFareSubscription):
        starting = model.objects.filter(start__gte=month, start__lte=period_end)
        ids |= set(starting.values_list("customer_id", flat=True))
    return list(Customer.objects.filter(pk__in=ids).order_by("pk"))


def _analyze() -> None:
    """Refresh PostgreSQL's statistics of the tables the seeding fills in bulk.

    The invoice runs query them right after; with the statistics of (nearly) empty tables
    the planner picks nested loops that take seconds per query. ANALYZE also counts the
    rows of the running transaction. SQLite plans without such statistics.
    """
    if connection.vendor != "postgresql":
        return
    tables = (Case, TimeEntry, Usage, UsageDraw, Invoice, InvoiceLine, InvoiceLineUsage)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(m._meta.db_table for m in tables))


def seed_invoices(*, today: date, start: date) -> Counter:
    """Invoice every complete month from ``start`` to the month before last, in date order.

    Only on a database without any invoice; last month and this month stay for the demo.
    The PDFs are rendered on their first download, not queued by the thousand.
    """
    counts: Counter = Counter()
    if Invoice.objects.exists() or not Company.objects.exists():
        return counts
    month, stop = start, month_start(today, -1)
    while month < stop:
        _analyze()  # the invoices of the month before are in the tables now
        following = month_start(month, 1)
        issued_on = first_working_day(following)
        if issued_on > today:
            break
        period_end = following - timedelta(days=1)
        # The first run takes everything; the next ones only the customers with something
        # new (each run would otherwise rebuild, and drop, a draft for every customer with a
        # subscription it never bills, e.g. half-fare while the tariff gives it no price).
        customers = None if month == start else _customers_with_news(month, period_end)
        try:
            drafts = invoice_drafts(period_start=month, period_end=period_end, customers=customers)
        except ValidationError:  # e.g. no tariff in force yet
            drafts = []
        with transaction.atomic():
            for draft in drafts:
                try:
                    invoice_issue(invoice=draft, issued_on=issued_on, render_pdf=False)
                except ValidationError:
                    invoice_discard(invoice=draft)
                    counts["drafts_discarded"] += 1
                else:
                    counts["invoices"] += 1
        month = following
    return counts


def seed_activity(*, today: date, scale: int = 0, seed: int = 2026, invoices: bool = True) -> dict:
    """A year of activity up to ``today`` for the demo customers without cases, and for the
    first ``scale`` generated customers; then the invoices of the complete months.

    Returns the counts of what was added.
    """
    now = min(timezone.now(), local_instant(today, 23 * 60 + 59))
    start = activity_start(today)
    days = working_days(start, today)
    users = {
        u.username: u for u in get_user_model().objects.filter(username__in=("support", "infoline"))
    }
    chosen = _customers_without_cases(scale)
    counts: Counter = Counter(customers=len(chosen))
    for ids in _chunks(list(chosen), CUSTOMER_BATCH):
        facts = _load_facts({pk: chosen[pk] for pk in ids})
        planned = []
        for fact in facts:
            planner = Planner(facts=fact, seed=seed, today=today, now=now, users=users)
            planned += planner.plan(days)
        if planned:
            with transaction.atomic():
                _write_batch(planned, counts)
    if invoices:
        counts.update(seed_invoices(today=today, start=start))
    return dict(counts)
