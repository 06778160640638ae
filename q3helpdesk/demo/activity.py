"""Years of desk activity for the demo: cases, leads, time entries, callbacks and invoices.

For every demo (and, with ``--scale``, generated) customer that has no case yet, the last
twelve months (for generated customers ``--years`` times twelve) are played day by day:
calls and e-mails become cases on the days the customer may get support (R1) and
rental-switch leads on the other days; the phone cases that could not be put through get
callbacks in the windows the customer gave (R11). The planning is in ``planning`` (no
queries); the time logged on a case goes to the ledger planned in memory by ``ledger``
through billing's own rule functions (R1–R9: the 5-minute unit per case and activity,
credit drawn in date order, half-fare, amounts), per customer in date order; the complete
months, up to the month before last, are invoiced as the billing services would
(``invoicing``). Everything is written in bulk, so that ``seed_demo --scale 10000
--years 3`` takes minutes, not hours; ``checks`` then verifies the ledger's invariants.

Each customer draws from its own seeded random generator, so the same customer gets the
same years on every run, and a customer with a case is left alone: running it again adds
nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from billing.models import Company, CreditGrant, Invoice, Usage
from billing.services.rollups import ledger_rollups_rebuild
from cases.models import Case
from cases.rollups import case_rollups_rebuild
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
from .days import activity_start, local_instant, month_start, working_days
from .invoicing import CustomerBilling, Invoicing, invoice_months
from .ledger import CustomerLedger, Tariffs
from .planning import DEMO, GENERATED, Facts, Planner, Profile
from .seeding import GENERATED_NUMBER_BASE
from .writing import allocate_ids, analyze, phase, write_cases, write_ledger

CUSTOMER_BATCH = 1000  # customers planned and written at a time


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
    half_fares = HalfFareSubscription.objects.filter(customer_id__in=ids).values_list(
        "customer_id", "start", "end"
    )
    for customer_id, start, end in half_fares.order_by("start"):
        facts[customer_id].half_fares.append((start, end))
    return list(facts.values())


# --- the batches ---------------------------------------------------------------------------


def _chunks(items: list, size: int) -> Iterator[list]:
    for offset in range(0, len(items), size):
        yield items[offset : offset + size]


def _billing(facts: list[Facts], ledgers: dict[int, CustomerLedger]) -> list[CustomerBilling]:
    """What the invoices of these customers are made of (their ledgers are written)."""
    ids = [f.customer.pk for f in facts]
    support_plus: dict[int, list] = {}
    subscriptions = SupportPlusSubscription.objects.filter(customer_id__in=ids)
    for sub in subscriptions.prefetch_related("registered").order_by("start", "pk"):
        support_plus.setdefault(sub.customer_id, []).append((sub, list(sub.registered.all())))
    half_fare: dict[int, list] = {}
    for hf in HalfFareSubscription.objects.filter(customer_id__in=ids).order_by("start", "pk"):
        half_fare.setdefault(hf.customer_id, []).append(hf)
    result = []
    for fact in facts:
        pk, ledger = fact.customer.pk, ledgers[fact.customer.pk]
        result.append(
            CustomerBilling(
                customer=fact.customer,
                usages=ledger.usages,
                draws=[(g, m, usage.performed_on) for usage, g, m in ledger.draws],
                grants=ledger.grants,
                support_plus=support_plus.get(pk, []),
                half_fare=half_fare.get(pk, []),
                contacts={c.pk: c.name for c in fact.contacts},
            )
        )
    return result


def _play_batch(
    facts: list[Facts],
    *,
    days: dict[Profile, list[date]],
    planner_args: dict,
    tariffs: Tariffs,
    invoicing: Invoicing | None,
    counts: Counter,
) -> None:
    """Plan the customers' cases and write them, post their time, plan their invoices,
    write the ledger (the usages an invoice holds are written invoiced)."""
    planned = []
    with phase("plan cases"):
        for fact in facts:
            planner = Planner(facts=fact, **planner_args)
            planned += planner.plan(days[fact.profile])
    with phase("write cases"):
        write_cases(planned, counts)
    grants: dict[int, list[CreditGrant]] = {f.customer.pk: [] for f in facts}
    for grant in CreditGrant.objects.filter(customer_id__in=list(grants)).order_by("pk"):
        grants[grant.customer_id].append(grant)
    ledgers = {
        f.customer.pk: CustomerLedger(
            facts=f, grants=grants[f.customer.pk], tariffs=tariffs, counts=counts
        )
        for f in facts
    }
    # R5 and R8 need each customer's postings in the order the work was done.
    work = sorted(
        ((p, e) for p in planned for e in p.entries),
        key=lambda pe: (pe[0].case.customer_id, pe[1].day, pe[1].logged_at, pe[0].case.pk),
    )
    with phase("plan ledger"):
        for p, entry in work:
            ledgers[p.case.customer_id].post(p.case, entry)
        usages = [u for ledger in ledgers.values() for u in ledger.usages]
        allocate_ids(Usage, usages)  # in posting order, as the desk's postings get them
        for ledger in ledgers.values():
            for posted in ledger.posted:
                if posted.reversal is not None:
                    posted.reversal.reverses_id = posted.usage.pk  # now that it has its key
    if invoicing is not None:
        with phase("plan invoices"):
            invoicing.plan(_billing(facts, ledgers), counts)
    with phase("write ledger"):
        write_ledger(list(ledgers.values()), planned, counts)


@transaction.atomic
def seed_activity(
    *, today: date, scale: int = 0, seed: int = 2026, invoices: bool = True, years: int = 1
) -> dict:
    """A year of activity up to ``today`` for the demo customers without cases, and
    ``years`` for the first ``scale`` generated customers; then the invoices of the
    complete months (on a database without any invoice).

    One transaction: the usages are written invoiced before their invoices, which are
    numbered once every customer is planned. Returns the counts of what was added.
    """
    now = min(timezone.now(), local_instant(today, 23 * 60 + 59))
    tariffs = Tariffs()
    # Not before the first tariff: no work can be charged without one (record_usage).
    first_tariff = min((t.valid_from for t in tariffs.by_start), default=today)
    start = max(activity_start(today, years), first_tariff)
    days = {
        DEMO: working_days(max(activity_start(today), first_tariff), today),
        GENERATED: working_days(start, today),
    }
    users = {
        u.username: u for u in get_user_model().objects.filter(username__in=("support", "infoline"))
    }
    planner_args = {"seed": seed, "today": today, "now": now, "users": users}
    chosen = _customers_without_cases(scale)
    counts: Counter = Counter(customers=len(chosen))
    creditor = Company.objects.first()
    invoicing = None
    if invoices and creditor is not None and not Invoice.objects.exists():
        months = list(invoice_months(start=month_start(start), today=today, tariffs=tariffs))
        invoicing = Invoicing(months=months, tariffs=tariffs, creditor=creditor)
    for ids in _chunks(list(chosen), CUSTOMER_BATCH):
        facts = _load_facts({pk: chosen[pk] for pk in ids})
        _play_batch(
            facts,
            days=days,
            planner_args=planner_args,
            tariffs=tariffs,
            invoicing=invoicing,
            counts=counts,
        )
    if invoicing is not None:
        with phase("write invoices"):
            counts["invoices"] = invoicing.write()
    if counts["cases"] or counts["leads"]:
        with phase("analyze"):
            analyze()
        # Written past the services: the dashboard's roll-ups are derived again.
        with phase("roll-ups"):
            ledger_rollups_rebuild()
            case_rollups_rebuild()
    return dict(counts)
