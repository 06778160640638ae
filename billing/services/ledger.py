"""The usage ledger: posting work (:func:`record_usage`), reversing it (:func:`usage_reverse`)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Sum
from django.utils.translation import gettext as _

from customers.models import Contact, Customer
from q3helpdesk.guards import service

from ..models import Usage, UsageDraw
from ..rules import allocate, amount_step, charged_minutes
from ..scope import locked_customer
from ..selectors import plan_usage
from ..selectors.tariffs import tariff_kept, tariff_used
from .rollups import credit_kind, rollup_posting


@dataclass(frozen=True)
class WithdrawalSource:
    """Where a reversal takes minutes back from: the billable minutes at one ``rate``, the
    credit drawn from one grant (``grant_id``), or the free minutes of the case."""

    kind: Literal["billable", "grant", "free"]
    rate: Decimal | None = None
    grant_id: int | None = None


def _check_work_ref(work_ref) -> str:
    if not isinstance(work_ref, str) or not work_ref.strip():
        raise ValidationError(_("Every usage needs the reference of its case."))
    work_ref = work_ref.strip()
    if len(work_ref) > 64:
        raise ValidationError(_("A case reference has at most 64 characters."))
    return work_ref


@service(own_checks=("contact", "performed_by"))
@transaction.atomic
def record_usage(
    *,
    customer: Customer,
    activity: str,
    minutes: int,
    performed_on: date,
    work_ref: str,
    contact: Contact | None = None,
    label: str = "",
    performed_by: User | None = None,
    not_before: date | None = None,
    repost: bool = False,
) -> Usage:
    """Post work to the ledger: charged minutes (R5) drawn from credit (R8), the rest billable.

    The customer's row is locked while posting, so two desks logging time at once can never
    spend the same credit minute twice. ``not_before`` is the first day the work may be
    dated (R13: the day its case was received); ``repost`` is accepted work posted again
    with another charging (see :func:`billing.selectors.plan_usage`).
    """
    work_ref = _check_work_ref(work_ref)
    if not isinstance(label, str) or len(label) > 200:
        raise ValidationError(_("The label is text of at most 200 characters."))
    if performed_by is not None and (
        not isinstance(performed_by, get_user_model()) or performed_by.pk is None
    ):
        raise ValidationError(_("The work must be recorded for a user of the desk."))
    if isinstance(customer, Customer) and customer.pk is not None:
        locked = locked_customer(customer.pk)  # by the caller, in its posting scope
        if locked is None:
            locked = Customer.objects.select_for_update().filter(pk=customer.pk).first()
        if locked is None:  # deleted meanwhile: what plan_usage() says of no customer
            raise ValidationError(_("Choose an existing customer."))
        customer = locked
    plan = plan_usage(
        customer=customer,
        activity=activity,
        minutes=minutes,
        performed_on=performed_on,
        work_ref=work_ref,
        contact=contact,
        not_before=not_before,
        repost=repost,
    )
    usage = Usage.objects.create(
        customer=customer,
        activity=activity,
        work_ref=work_ref,
        performed_on=performed_on,
        logged_minutes=plan.logged,
        charged_minutes=plan.charged,
        credit_minutes=plan.credit,
        billable_minutes=plan.billable,
        free_minutes=plan.free,
        rate=plan.rate,
        amount=plan.amount,
        half_fare=plan.half_fare,
        tariff=plan.tariff,
        contact=contact,
        label=label.strip(),
        performed_by=performed_by,
    )
    UsageDraw.objects.bulk_create(
        UsageDraw(usage=usage, grant=grant, minutes=taken) for grant, taken in plan.draws
    )
    rollup_posting(
        usage,
        [(grant.pk, taken) for grant, taken in plan.draws],
        kinds={grant.pk: credit_kind(grant) for grant, _taken in plan.draws},
    )
    if not tariff_kept(plan.tariff):
        transaction.on_commit(functools.partial(tariff_used, plan.tariff))
    return usage


@service
@transaction.atomic
def usage_reverse(*, usage: Usage, reason: str = "") -> Usage:
    """Post the reversal of ``usage`` (refused once it is invoiced).

    The case's charged minutes are recomputed on its new total (R5); the minutes no longer
    charged are withdrawn: billable minutes at the usage's rate first, then credit minutes go
    back to the grants they came from (the usage's own first), then other billable minutes
    of the case, then free minutes.
    """
    if not isinstance(usage, Usage) or usage.pk is None:
        raise ValidationError(_("Choose an existing usage to reverse."))
    if not isinstance(reason, str) or len(reason) > 200:
        raise ValidationError(_("The reason is text of at most 200 characters."))
    Customer.objects.select_for_update().get(pk=usage.customer_id)
    usage = Usage.objects.select_related("tariff").get(pk=usage.pk)
    if usage.is_reversal:
        raise ValidationError(_("A reversal cannot be reversed; record the work again."))
    if Usage.objects.filter(reverses=usage).exists():
        raise ValidationError(_("This usage has already been reversed."))
    if usage.invoiced_at is not None:
        raise ValidationError(
            _("This usage is on an issued invoice; cancel the invoice to correct it.")
        )

    bucket = Usage.objects.filter(
        customer_id=usage.customer_id, work_ref=usage.work_ref, activity=usage.activity
    )
    plan = plan_reversal(
        usage=usage,
        own_draws=list(usage.draws.order_by("id").values_list("grant_id", "minutes")),
        bucket=_case_bucket(bucket),
        unit=usage.tariff.unit_minutes,
    )
    reversal = Usage.objects.create(
        **plan.reversal_fields(usage, reason=reason.strip()), reverses=usage
    )
    UsageDraw.objects.bulk_create(
        UsageDraw(usage=reversal, grant_id=grant_id, minutes=-m) for grant_id, m in plan.draws
    )
    rollup_posting(reversal, [(grant_id, -m) for grant_id, m in plan.draws])
    return reversal


@dataclass(frozen=True)
class CaseBucket:
    """What a case holds in one activity (all its postings so far), as a reversal reads it.

    ``billable`` maps a rate to (net billable minutes, last posting), ``drawn`` a grant id to
    (net minutes drawn, last posting); "last posting" orders them most recent first (the
    database uses the usage ids; the bulk demo seeding its posting order).
    """

    logged: int
    charged: int
    billable: dict[Decimal, tuple[int, int]]
    drawn: dict[int, tuple[int, int]]
    free: int


@dataclass(frozen=True)
class ReversalPlan:
    """The minutes a reversal withdraws (all positive here; the reversal negates them)."""

    charged: int
    billable: int
    free: int
    draws: list[tuple[int, int]]  # (grant id, minutes given back)
    amount: Decimal  # the reversal's amount (negative or zero)

    @property
    def credit(self) -> int:
        return sum(m for _, m in self.draws)

    def reversal_fields(self, usage: Usage, *, reason: str) -> dict:
        """The fields of the reversal of ``usage`` this plan posts (all but ``reverses``):
        ``usage_reverse`` and the bulk demo seeding build it from here."""
        return {
            "customer_id": usage.customer_id,
            "activity": usage.activity,
            "work_ref": usage.work_ref,
            "performed_on": usage.performed_on,
            "logged_minutes": -usage.logged_minutes,
            "charged_minutes": -self.charged,
            "credit_minutes": -self.credit,
            "billable_minutes": -self.billable,
            "free_minutes": -self.free,
            "rate": usage.rate,
            "amount": self.amount,
            "half_fare": usage.half_fare,
            "tariff_id": usage.tariff_id,
            "contact_id": usage.contact_id,
            "label": usage.label,
            "reason": reason,
        }


def _case_bucket(bucket) -> CaseBucket:
    totals = bucket.aggregate(
        logged=Sum("logged_minutes"), charged=Sum("charged_minutes"), free=Sum("free_minutes")
    )
    billable = {
        row["rate"]: (row["net"], row["last_id"])
        for row in bucket.values("rate").annotate(net=Sum("billable_minutes"), last_id=Max("id"))
    }
    drawn = {
        row["grant_id"]: (row["net"], row["last_id"])
        for row in UsageDraw.objects.filter(usage__in=bucket)
        .values("grant_id")
        .annotate(net=Sum("minutes"), last_id=Max("usage_id"))
    }
    return CaseBucket(
        logged=totals["logged"] or 0,
        charged=totals["charged"] or 0,
        billable=billable,
        drawn=drawn,
        free=totals["free"] or 0,
    )


def plan_reversal(
    *, usage: Usage, own_draws: list[tuple[int, int]], bucket: CaseBucket, unit: int
) -> ReversalPlan:
    """Pure: what reversing ``usage`` withdraws from its case's ``bucket`` (which holds the
    usage itself), per :func:`usage_reverse`; ``own_draws`` are the usage's draws in order.

    The case's charged minutes are recomputed on its new total (R5); the minutes no longer
    charged are withdrawn from the sources in the order of :func:`withdrawal_sources`.
    """
    remaining = charged_minutes(bucket.logged - usage.logged_minutes, unit)
    need = max(bucket.charged - remaining, 0)
    taken, rest = allocate(need, withdrawal_sources(usage, own_draws, bucket))
    if rest:  # cannot happen while the ledger is consistent; never post a wrong reversal
        raise ValidationError(
            _("The ledger of this case is inconsistent; contact an administrator.")
        )
    by_key: dict[WithdrawalSource, int] = {}
    for key, minutes in taken:
        by_key[key] = by_key.get(key, 0) + minutes
    billable: dict[Decimal, int] = {}
    draws: list[tuple[int, int]] = []
    for key, m in by_key.items():
        if key.kind == "billable":
            assert key.rate is not None  # a billable source names its rate
            billable[key.rate] = m
        elif key.kind == "grant":
            assert key.grant_id is not None  # a grant source names its grant
            draws.append((key.grant_id, m))
    return ReversalPlan(
        charged=need,
        billable=sum(billable.values()),
        free=sum(m for key, m in by_key.items() if key.kind == "free"),
        draws=draws,
        amount=sum(
            (amount_step(bucket.billable[rate][0], -m, rate) for rate, m in billable.items()),
            Decimal("0.00"),
        ),
    )


def withdrawal_sources(
    usage: Usage, own_draws: list[tuple[int, int]], bucket: CaseBucket
) -> list[tuple[WithdrawalSource, int]]:
    """What the case can give back, in the order :func:`usage_reverse` takes it.

    First what the usage itself brought (its billable minutes, its draws in the order it
    made them, its free minutes), then what else the case holds, most recent first. A key
    may appear twice (own part, then the rest); the caller adds the takings up per key.
    """
    billable, drawn, free = bucket.billable, bucket.drawn, bucket.free
    own_billable = min(billable.get(usage.rate, (0, 0))[0], usage.billable_minutes)
    own_grant = {g: min(drawn[g][0], m) for g, m in own_draws}
    own_free = min(free, usage.free_minutes)

    def most_recent_first(table):
        return sorted(table, key=lambda key: table[key][1], reverse=True)

    sources: list[tuple[WithdrawalSource, int]] = [
        (WithdrawalSource("billable", rate=usage.rate), own_billable)
    ]
    sources += [(WithdrawalSource("grant", grant_id=g), m) for g, m in own_grant.items()]
    sources.append((WithdrawalSource("free"), own_free))
    for rate in most_recent_first(billable):
        rest = billable[rate][0] - (own_billable if rate == usage.rate else 0)
        sources.append((WithdrawalSource("billable", rate=rate), rest))
    for grant_id in most_recent_first(drawn):
        sources.append(
            (
                WithdrawalSource("grant", grant_id=grant_id),
                drawn[grant_id][0] - own_grant.get(grant_id, 0),
            )
        )
    sources.append((WithdrawalSource("free"), free - own_free))
    return sources
