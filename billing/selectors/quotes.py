"""Planning a posting: what logged minutes would cost, without writing (R1–R9, R13).

:func:`plan_usage` is shared by :func:`quote` (the desk's preview) and
``billing.services.record_usage`` (the posting itself).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Contact, Customer, LicenceKind, RentalPeriod
from customers.selectors import ChargeFacts, charge_facts, support_status

from ..models import ActivityRate, CreditGrant, Tariff, Usage
from ..rules import allocate, amount_step, charged_minutes
from .tariffs import tariff_in_force

MAX_MINUTES = 720  # one posting covers at most a (long) working day


class GrantLike(Protocol):
    """What the order of R8 reads of a credit grant."""

    source: Any
    valid_from: Any
    valid_to: Any
    pk: Any


_G = TypeVar("_G", bound=GrantLike)  # a CreditGrant (saved, or loaded for bulk seeding)


@dataclass(frozen=True)
class Plan:
    """What posting ``logged`` minutes would do; shared by ``quote`` and ``record_usage``."""

    facts: ChargeFacts
    tariff: Tariff
    logged: int
    charged: int
    draws: list[tuple[CreditGrant, int]] = field(default_factory=list)
    billable: int = 0
    free: int = 0
    rate: Decimal = Decimal("0.00")
    half_fare: bool = False
    amount: Decimal = Decimal("0.00")

    @property
    def credit(self) -> int:
        return sum(minutes for _, minutes in self.draws)


def _fmt(day: date) -> str:
    return f"{day:%d.%m.%Y}"


def check_work_day(performed_on, *, not_before: date | None = None) -> None:
    """R13: work is dated from the day its case was received (``not_before``) to today."""
    if not isinstance(performed_on, date) or isinstance(performed_on, datetime):
        raise ValidationError(_("The day of the work must be a date."))
    if performed_on > timezone.localdate():
        raise ValidationError(_("Work cannot be logged for a day in the future."))
    if not_before is not None and performed_on < not_before:
        raise ValidationError(
            _(
                "Work on this case can be dated from %(first)s to today (not before the day"
                " the case was received, at most a few days back, never into an invoiced"
                " month); %(day)s is before that."
            )
            % {"first": _fmt(not_before), "day": _fmt(performed_on)}
        )


def _check_input(customer, activity, minutes, performed_on, contact, not_before=None) -> None:
    if not isinstance(customer, Customer) or customer.pk is None:
        raise ValidationError(_("Choose an existing customer."))
    if not isinstance(activity, str) or not activity:
        raise ValidationError(_("Unknown activity “%(activity)s”.") % {"activity": activity})
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise ValidationError(_("Give the minutes as a whole number."))
    if minutes <= 0:
        raise ValidationError(_("The minutes must be more than 0."))
    if minutes > MAX_MINUTES:
        raise ValidationError(
            _("At most %(max)s minutes can be logged at once; split longer work.")
            % {"max": MAX_MINUTES}
        )
    check_work_day(performed_on, not_before=not_before)
    if contact is not None and (
        not isinstance(contact, Contact) or contact.pk is None or contact.customer_id != customer.pk
    ):
        raise ValidationError(_("The contact is not a contact of this customer."))


def _check_first_rental_period(customer: Customer, on: date, row: ActivityRate) -> None:
    """R9: an activity such as the first installation is accepted only during a licence's
    first rental period."""
    earlier = RentalPeriod.objects.filter(licence=OuterRef("licence"), start__lt=OuterRef("start"))
    first_period_now = (
        RentalPeriod.objects.filter(
            licence__customer=customer,
            licence__kind=LicenceKind.RENTAL,
            start__lte=on,
            end__gte=on,
        )
        .filter(~Exists(earlier))
        .exists()
    )
    if not first_period_now:
        raise ValidationError(
            _(
                "“%(activity)s” is accepted only during the first rental period of a"
                " licence; log this work as support instead."
            )
            % {"activity": row.name}
        )


def credit_order(grant: GrantLike) -> tuple:
    """R8: the grant expiring first pays first; licence before Support+ on a tie ("licence"
    sorts before "support_plus"), then the older grant."""
    return (grant.valid_to, grant.source, grant.pk)


def coverable_grants(grants: Iterable[_G], *, sources: Iterable[str], on: date) -> list[_G]:
    """The grants among ``grants`` that may pay for work of ``sources`` done ``on`` (R8),
    in the order they are drawn from. Pure: the posting and the bulk demo seeding share it."""
    kinds = set(sources)
    return sorted(
        (g for g in grants if g.source in kinds and g.valid_from <= on <= g.valid_to),
        key=credit_order,
    )


def _coverable_grants(customer_id: int, registered: bool, row: ActivityRate, on: date):
    """The grants that may pay for this work, in the order of R8, with what is left (their
    ``used_minutes``, which every posting keeps equal to their draws in its transaction),
    each with the licence it belongs to (the posting's roll-up counts credit by variant)."""
    sources = row.credit_sources(registered=registered)
    if not sources:
        return []
    grants = (
        CreditGrant.objects.filter(
            customer_id=customer_id,
            source__in=sources,
            valid_from__lte=on,
            valid_to__gte=on,
        )
        .select_related("rental_period__licence")
        .order_by("valid_to", "source", "id")
    )
    return [
        (grant, grant.minutes - grant.used_minutes)
        for grant in coverable_grants(grants, sources=sources, on=on)
    ]


def posting_rate(row: ActivityRate, *, half_fare_subscription: bool) -> tuple[bool, Decimal]:
    """R4, R6: whether the half-fare rate applies to this activity, and the hourly rate."""
    half_fare = row.has_half_fare(half_fare=half_fare_subscription)
    return half_fare, row.rate(half_fare=half_fare)


@dataclass(frozen=True)
class Charge:
    """What one posting charges (R5, R8, R12); the pure result of :func:`charge_posting`."""

    logged: int
    charged: int
    draws: list = field(default_factory=list)  # (grant, minutes taken), in the order of R8
    billable: int = 0
    free: int = 0
    rate: Decimal = Decimal("0.00")
    half_fare: bool = False
    amount: Decimal = Decimal("0.00")

    @property
    def credit(self) -> int:
        return sum(minutes for _, minutes in self.draws)


def charge_posting(
    *,
    row: ActivityRate,
    unit: int,
    minutes: int,
    before_logged: int,
    before_charged: int,
    before_billable: int,
    grants: list[tuple[_G, int]],
    half_fare: bool,
    rate: Decimal,
) -> Charge:
    """Pure R5/R8/R12: ``minutes`` more of ``row``'s activity on a case that has logged
    ``before_logged`` and been charged ``before_charged`` minutes in it so far
    (``before_billable`` of them billable at ``rate``); ``grants`` are the coverable grants
    with what is left of each, in the order of R8 (:func:`coverable_grants`).

    :func:`plan_usage` (every posting of the desk) and the bulk demo seeding both use it.
    """
    # R5 on the case's total; measured against what the case was actually charged so far,
    # so that a change of the unit in a new tariff never recharges the earlier minutes.
    charged = max(charged_minutes(before_logged + minutes, unit) - before_charged, 0)
    if row.free:
        return Charge(logged=minutes, charged=charged, free=charged)
    taken, billable = allocate(charged, grants)
    return Charge(
        logged=minutes,
        charged=charged,
        draws=taken,
        billable=billable,
        rate=rate,
        half_fare=half_fare,
        amount=amount_step(before_billable, billable, rate),
    )


def plan_usage(
    *,
    customer: Customer,
    activity: str,
    minutes: int,
    performed_on: date,
    work_ref: str | None = None,
    contact: Contact | None = None,
    not_before: date | None = None,
    repost: bool = False,
) -> Plan:
    """Decide, without writing, what ``minutes`` of ``activity`` would cost (R1–R9).

    ``not_before`` is the first day the work may be dated (R13: the day its case was
    received); the desk passes it for every posting on a case. ``repost`` is work the
    ledger accepted already, posted again with another charging (a verified software
    error marked or unmarked): R1 and the first-installation rule were checked when it was
    first posted and are not asked again.
    """
    _check_input(customer, activity, minutes, performed_on, contact, not_before)
    facts = charge_facts(customer=customer, on=performed_on, contact=contact)
    if not facts.eligible and not repost:
        reason = support_status(customer=customer, on=performed_on).reason
        raise ValidationError(
            _("No support can be charged for %(customer)s on %(day)s. %(reason)s")
            % {"customer": customer.name, "day": _fmt(performed_on), "reason": reason}
        )
    tariff = tariff_in_force(on=performed_on)
    row = tariff.activity(activity)
    if row.first_rental_period_only and not repost:
        _check_first_rental_period(customer, performed_on, row)

    half_fare, rate = posting_rate(row, half_fare_subscription=facts.half_fare)
    before = {"logged": 0, "charged": 0, "billable": 0}
    if work_ref:
        before = Usage.objects.filter(
            customer=customer, work_ref=work_ref, activity=activity
        ).aggregate(
            logged=Coalesce(Sum("logged_minutes"), 0),
            charged=Coalesce(Sum("charged_minutes"), 0),
            billable=Coalesce(Sum("billable_minutes", filter=Q(rate=rate)), 0),
        )
    grants = [] if row.free else _coverable_grants(customer.pk, facts.registered, row, performed_on)
    charge = charge_posting(
        row=row,
        unit=tariff.unit_minutes,
        minutes=minutes,
        before_logged=before["logged"],
        before_charged=before["charged"],
        before_billable=before["billable"],
        grants=grants,
        half_fare=half_fare,
        rate=rate,
    )
    return Plan(
        facts=facts,
        tariff=tariff,
        logged=charge.logged,
        charged=charge.charged,
        draws=charge.draws,
        billable=charge.billable,
        free=charge.free,
        rate=charge.rate,
        half_fare=charge.half_fare,
        amount=charge.amount,
    )


@dataclass(frozen=True)
class Quote:
    activity: str
    logged_minutes: int
    charged_minutes: int
    credit_minutes: int
    billable_minutes: int
    free_minutes: int
    rate: Decimal
    amount: Decimal
    half_fare: bool


def quote(
    *,
    customer,
    activity: str,
    minutes: int,
    on: date,
    contact=None,
    work_ref: str | None = None,
    not_before: date | None = None,
) -> Quote:
    """What ``minutes`` of ``activity`` would cost the customer on ``on``; writes nothing.

    With ``work_ref`` the minutes are added to that case (R5 rounding on its total);
    ``not_before`` refuses the same days as :func:`billing.services.record_usage` (R13).
    Raises ``ValidationError`` where :func:`billing.services.record_usage` would refuse.
    """
    plan = plan_usage(
        customer=customer,
        activity=activity,
        minutes=minutes,
        performed_on=on,
        work_ref=work_ref,
        contact=contact,
        not_before=not_before,
    )
    return Quote(
        activity=activity,
        logged_minutes=plan.logged,
        charged_minutes=plan.charged,
        credit_minutes=plan.credit,
        billable_minutes=plan.billable,
        free_minutes=plan.free,
        rate=plan.rate,
        amount=plan.amount,
        half_fare=plan.half_fare,
    )
