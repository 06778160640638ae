"""Demo data: a handful of hand-written customers covering every rule, demo users, and
generated customers in bulk for performance work.

Hand-written customers go through the services (so every rule applies); the generated
ones are bulk-inserted for speed and are consistent by construction (periods never
overlap, Support+ only for profi/premium with half-fare for additional persons, within
the tariff's capacity).
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import CharField, F, Q, QuerySet, Value
from django.db.models.functions import Concat

from billing.models import Company
from billing.rules import years_after
from billing.selectors import tariff_in_force
from customers import services
from customers.models import (
    Contact,
    Customer,
    HalfFareSubscription,
    Licence,
    LicenceKind,
    LicenceVariant,
    Module,
    RentalPeriod,
    SupportPlusRegistration,
    SupportPlusSubscription,
)

from ..roles import Role
from . import data as demo_data

DEMO_PASSWORD = "demo"  # noqa: S105 - printed by `make dev`; demo users are for development
DEMO_USERS = [
    ("infoline", "Isabelle", "Infoline", Role.INFOLINE),
    ("support", "Stefan", "Support", Role.SUPPORT),
    ("billing", "Béatrice", "Billing", Role.BILLING),
    ("manager", "Martin", "Manager", Role.MANAGER),
    ("admin", "Anna", "Admin", None),
]
GENERATED_NUMBER_BASE = 100000


def _year_start(today: date, month: int) -> date:
    """The latest 1st of ``month`` that is not after ``today``."""
    start = date(today.year, month, 1)
    return start if start <= today else date(today.year - 1, month, 1)


def _plus_year(day: date, years: int = 1) -> date:
    """The same day ``years`` later or earlier (29 February: 28 February)."""
    return years_after(day, years)


@dataclass(frozen=True)
class Scenario:
    kind: str | None  # None: no licence at all
    variant: str = ""
    modules: tuple[str, ...] = ()
    rent: str = "0"
    start_month: int = 1
    periods: str = "previous+current"  # previous+current | current | previous | next
    half_fare: bool = False
    support_plus_persons: int = 0


# One scenario per hand-written customer: together they cover every rule of DESIGN §1.
SCENARIOS = {
    "10001": Scenario("rental", "standard", ("COFI",), "480.00"),
    "10002": Scenario(
        "rental",
        "premium",
        ("COFI", "SAL", "FAC", "CRE", "DEB"),
        "2400.00",
        half_fare=True,
        support_plus_persons=2,
    ),
    "10003": Scenario("rental", "advanced", ("COFI", "FAC"), "960.00", start_month=4),
    "10004": Scenario("rental", "profi", ("COFI", "SAL"), "1440.00", support_plus_persons=1),
    "10005": Scenario("rental", "standard", ("FAC",), "90.00", start_month=7),
    "10006": Scenario("purchase", "advanced", ("COFI", "DEB")),
    "10007": Scenario("rental", "standard", ("COFI",), "360.00", periods="previous"),
    "10008": Scenario("rental", "advanced", ("SAL",), "99.95", half_fare=True),
    "10009": Scenario("rental", "profi", ("COFI", "STK"), "720.00", half_fare=True),
    "10010": Scenario(
        "rental", "premium", ("COFI", "SAL"), "3000.00", start_month=10, support_plus_persons=1
    ),
    "10011": Scenario("rental", "advanced", ("COFI", "SAL", "CRE"), "1200.00", periods="current"),
    "10012": Scenario("rental", "standard", ("COFI", "BANK"), "100.00"),
    "10013": Scenario(None),
    "10014": Scenario("rental", "profi", ("COFI", "SAL", "FAC"), "1800.00", periods="next"),
}


def seed_company() -> Company:
    """Clearly fictional creditor data (the QR-IBAN is the QR-bill standard's example)."""
    company = Company.objects.first()
    if company is None:
        company = Company(
            legal_name="Q3 Software SA (démo)",
            street="Demoweg",
            house_number="1",
            postcode="3011",
            city="Bern",
            uid="CHE-123.456.788",
            iban="CH44 3199 9123 0008 8901 2",
            email="facturation@q3software.example",
            phone="031 511 49 49",
            footer="Données fictives de démonstration · Fiktive Demodaten",
            payment_term_days=30,
        )
        company.full_clean()
        company.save()
    return company


def seed_users() -> list[tuple[str, str]]:
    """One demo user per role plus an administrator; returns (username, role) pairs."""
    User = get_user_model()
    created = []
    for username, first, last, role in DEMO_USERS:
        user, was_created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@q3software.example",
                "is_staff": role is None,
                "is_superuser": role is None,
            },
        )
        if was_created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        if role is not None:
            user.groups.add(Group.objects.get(name=role.value))
        created.append((username, role.value if role else "Administrator"))
    return created


def demo_licence_number(customer_number: str) -> str:
    """The ERP's number of a demo customer's licence (each has one at most), so that the
    demo's ERP export holds its licences and periods too."""
    return f"L-{customer_number}-1"


def _apply_scenario(customer: Customer, contacts: list[Contact], s: Scenario, today: date):
    if s.kind is None:
        return
    licence = services.licence_create(
        customer=customer,
        variant=s.variant,
        modules=list(s.modules),
        kind=s.kind,
        number=demo_licence_number(customer.number),
    )
    if s.kind != LicenceKind.RENTAL:
        return
    current = _year_start(today, s.start_month)
    starts = {
        "previous+current": [_plus_year(current, -1), current],
        "current": [current],
        "previous": [_plus_year(current, -1)],
        "next": [_plus_year(current, 1)],
    }[s.periods]
    for start in starts:
        services.rental_period_create(
            licence=licence,
            start=start,
            end=_plus_year(start) - timedelta(days=1),
            annual_rent=Decimal(s.rent),
        )
    if s.half_fare:
        services.half_fare_subscribe(
            customer=customer,
            start=_year_start(today, 1),
            end=_plus_year(_year_start(today, 1)) - timedelta(days=1),
        )
    if s.support_plus_persons:
        # Support+ lies in a profi/premium rental period for its whole term (R7): it runs
        # with the current one.
        services.support_plus_subscribe(
            customer=customer,
            start=current,
            end=_plus_year(current) - timedelta(days=1),
            registered=contacts[: s.support_plus_persons],
        )


@transaction.atomic
def seed_customers(today: date) -> int:
    """The hand-written customers; those that exist already are left alone."""
    existing = set(
        Customer.objects.filter(
            number__in=[c.number for c in demo_data.DEMO_CUSTOMERS]
        ).values_list("number", flat=True)
    )
    count = 0
    for demo in demo_data.DEMO_CUSTOMERS:
        if demo.number in existing:
            continue
        customer = services.customer_create(
            number=demo.number,
            name=demo.name,
            street=demo.street,
            house_number=demo.house_number,
            postcode=demo.postcode,
            city=demo.city,
            language=demo.language,
            email=demo.email,
            phone=demo.phone,
        )
        contacts = [
            services.contact_create(customer=customer, name=c.name, email=c.email, phone=c.phone)
            for c in demo.contacts
        ]
        _apply_scenario(customer, contacts, SCENARIOS[demo.number], today)
        count += 1
    return count


def non_demo_customers() -> QuerySet[Customer]:
    """The customers that are not demo data (seed_demo refuses to run beside them).

    Demo customers carry no marker column; they are recognised by what seeding writes: the
    hand-written ones by their number *and* name together (demo_data.DEMO_CUSTOMERS), the
    generated ones by the e-mail address seed_scale derives from their number
    (``info@<name>-<number>.ch``). A real customer matches neither.
    """
    hand_written = Q(pk__in=[])
    for demo in demo_data.DEMO_CUSTOMERS:
        hand_written |= Q(number=demo.number, name=demo.name)
    generated = Q(
        email__startswith="info@",
        email__endswith=Concat(Value("-"), F("number"), Value(".ch"), output_field=CharField()),
    )
    return Customer.objects.exclude(hand_written | generated)


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


VARIANT_WEIGHTS = [
    (LicenceVariant.STANDARD, 40),
    (LicenceVariant.ADVANCED, 30),
    (LicenceVariant.PROFI, 20),
    (LicenceVariant.PREMIUM, 10),
]
BATCH = 2000


def seed_scale(n: int, today: date, seed: int = 2024, years: int = 1) -> int:
    """Generate ``n`` customers (numbers from 100001) with contacts, licences, periods and
    subscriptions in bulk; customers already generated are kept. Returns how many were added.

    The rental periods cover the last ``years`` years (renewed every year, some lapsed),
    and a customer with half-fare or Support+ renews it with each of those periods.
    """
    rng = random.Random(seed)
    numbers = [str(GENERATED_NUMBER_BASE + i) for i in range(1, n + 1)]
    modules = {m.code: m for m in Module.objects.all()}
    main_codes = [c for c, m in modules.items() if m.is_main]
    other_codes = [c for c, m in modules.items() if not m.is_main]
    tariff = tariff_in_force(on=today)
    # A Support+ customer has one subscription at a time (one per rental period); count
    # conservatively every existing one that could overlap the years, so the tariff's
    # capacity is never exceeded on any day.
    since = _plus_year(today, -years)
    support_plus_free = (
        tariff.support_plus_capacity
        - SupportPlusSubscription.objects.filter(
            end__gte=since, start__lte=_plus_year(today, 1)
        ).count()
    )

    added = 0
    with transaction.atomic():
        for offset in range(0, n, BATCH):
            batch = numbers[offset : offset + BATCH]
            existing = set(
                Customer.objects.filter(number__in=batch).values_list("number", flat=True)
            )
            chunk = [num for num in batch if num not in existing]
            plans = [
                _plan_customer(rng, num, main_codes, other_codes, today, years) for num in chunk
            ]
            for plan in plans:  # bulk_create does not save: the lookup keys are set here
                plan["customer"].set_name_keys()
                for contact in plan["contacts"]:
                    contact.set_name_keys()
            customers = Customer.objects.bulk_create([p["customer"] for p in plans])
            contacts, licences = [], []
            for plan, customer in zip(plans, customers, strict=True):
                for contact in plan["contacts"]:
                    contact.customer = customer
                    contacts.append(contact)
                if plan["licence"] is not None:
                    plan["licence"].customer = customer
                    plan["licence"].number = demo_licence_number(customer.number)
                    licences.append(plan["licence"])
            Contact.objects.bulk_create(contacts)
            Licence.objects.bulk_create(licences)

            links, periods, half_fares, plus_plans = [], [], [], []
            Link = Licence.modules.through
            for plan, customer in zip(plans, customers, strict=True):
                licence = plan["licence"]
                if licence is None:
                    continue
                links += [Link(licence=licence, module=modules[c]) for c in plan["modules"]]
                for start, end, rent in plan["periods"]:
                    periods.append(
                        RentalPeriod(licence=licence, start=start, end=end, annual_rent=rent)
                    )
                # Subscriptions run with the rental periods of the years (each renewed with
                # its period), so that the rules of the services hold (R7: profi/premium and
                # half-fare for the whole term).
                spans = [
                    {"start": start, "end": end}
                    for start, end, _ in plan["periods"]
                    if end >= since and start <= today
                ]
                if not any(span["start"] <= today <= span["end"] for span in spans):
                    continue  # a lapsed rental: no subscription
                half_fare = rng.random() < 0.15
                if half_fare:
                    half_fares += [HalfFareSubscription(customer=customer, **s) for s in spans]
                if (
                    licence.variant in (LicenceVariant.PROFI, LicenceVariant.PREMIUM)
                    and support_plus_free > 0
                    and rng.random() < 0.25
                ):
                    persons = plan["contacts"][: 2 if half_fare else 1]
                    plus_plans += [(customer, persons, span) for span in spans]
                    support_plus_free -= 1
            Link.objects.bulk_create(links)
            RentalPeriod.objects.bulk_create(periods)
            HalfFareSubscription.objects.bulk_create(half_fares)
            subscriptions = SupportPlusSubscription.objects.bulk_create(
                [
                    SupportPlusSubscription(customer=customer, **span)
                    for customer, _, span in plus_plans
                ]
            )
            SupportPlusRegistration.objects.bulk_create(
                [
                    SupportPlusRegistration(subscription=sub, contact=contact, position=pos)
                    for sub, (_, persons, _) in zip(subscriptions, plus_plans, strict=True)
                    for pos, contact in enumerate(persons, start=1)
                ]
            )
            added += len(customers)
    return added


def _phone(rng: random.Random, area_code: str) -> str:
    return f"+41{area_code}{rng.randint(200, 989)}{rng.randint(0, 99):02d}{rng.randint(0, 99):02d}"


def _mobile(rng: random.Random) -> str:
    return f"+417{rng.choice('6789')}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"


def _plan_customer(rng, number, main_codes, other_codes, today, years: int = 1) -> dict:
    place = rng.choice(demo_data.PLACES)
    fr = place.language == "fr"
    last = rng.choice(demo_data.LAST_NAMES_FR if fr else demo_data.LAST_NAMES_DE)
    kind = rng.choice(demo_data.BUSINESS_KINDS_FR if fr else demo_data.BUSINESS_KINDS_DE)
    name = kind.format(name=last)
    domain = f"{_slug(last)}-{number}.ch"
    customer = Customer(
        number=number,
        name=name,
        street=rng.choice(demo_data.STREETS_FR if fr else demo_data.STREETS_DE),
        house_number=str(rng.randint(1, 120)),
        postcode=place.postcode,
        city=place.city,
        country="CH",
        language=place.language,
        email=f"info@{domain}",
        phone=_phone(rng, place.area_code),
    )
    first_names = demo_data.FIRST_NAMES_FR if fr else demo_data.FIRST_NAMES_DE
    contacts = []
    for _ in range(rng.choice((1, 1, 2, 2, 3))):
        first = rng.choice(first_names)
        contacts.append(
            Contact(
                name=f"{first} {last}",
                email=f"{_slug(first)}@{domain}",
                phone=_mobile(rng) if rng.random() < 0.5 else _phone(rng, place.area_code),
            )
        )

    roll = rng.random()
    if roll < 0.08:  # a prospect without licence
        return {"customer": customer, "contacts": contacts, "licence": None}
    variant = rng.choices([v for v, _ in VARIANT_WEIGHTS], weights=[w for _, w in VARIANT_WEIGHTS])[
        0
    ]
    main = rng.sample(main_codes, rng.choice((1, 1, 2, 3, 4)))
    extra = rng.sample(other_codes, rng.choice((0, 0, 1, 2)))
    if roll < 0.20:  # purchase licence only
        licence = Licence(kind=LicenceKind.PURCHASE, variant=variant)
        return {
            "customer": customer,
            "contacts": contacts,
            "licence": licence,
            "modules": main + extra,
            "periods": [],
        }
    licence = Licence(kind=LicenceKind.RENTAL, variant=variant)
    rent = Decimal(
        rng.choice(("60.00", "95.00", "100.00", "240.00", "480.00", "960.00", "1800.00"))
    )
    start = _year_start(today, rng.randint(1, 12))
    history = rng.choice((1, 2, 2, 3)) + years - 1  # rental years so far, this one included
    periods = []
    for back in range(history, 0, -1):
        period_start = _plus_year(start, -(back - 1))
        periods.append((period_start, _plus_year(period_start) - timedelta(days=1), rent))
    if roll < 0.32:  # the rental has lapsed: drop the current period
        periods = periods[:-1] or [(_plus_year(start, -1), start - timedelta(days=1), rent)]
    return {
        "customer": customer,
        "contacts": contacts,
        "licence": licence,
        "modules": main + extra,
        "periods": periods,
    }
