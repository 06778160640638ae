"""Credit and work: a customer's credit buckets on a day and in the past (R3, R7, R14),
the totals of one case, and every grant with its use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import F, IntegerField, Q, Sum, Value
from django.db.models.functions import Coalesce

from ..models import CreditGrant, GrantSource, Usage
from ._common import _require_customer, _require_day
from .ledger import ledger_totals


@dataclass(frozen=True)
class CreditBucket:
    grant_id: int
    source: str
    label: str
    granted: int
    used: int
    valid_from: date
    valid_to: date

    @property
    def remaining(self) -> int:
        return max(self.granted - self.used, 0)

    @property
    def registered_only(self) -> bool:
        """Support+ minutes serve only the registered persons (R7)."""
        return self.source == GrantSource.SUPPORT_PLUS


@dataclass(frozen=True)
class CreditBalance:
    on: date
    buckets: list[CreditBucket]

    @property
    def granted(self) -> int:
        return sum(b.granted for b in self.buckets)

    @property
    def used(self) -> int:
        return sum(b.used for b in self.buckets)

    @property
    def remaining(self) -> int:
        return sum(b.remaining for b in self.buckets)

    @property
    def valid_to(self) -> date | None:
        """The last day any of today's credit can be used (for the credit statement, R10)."""
        return max((b.valid_to for b in self.buckets if b.remaining), default=None)


def _buckets(grants) -> list[CreditBucket]:
    """Buckets of grants annotated with ``used``."""
    return [
        CreditBucket(
            grant_id=g.pk,
            source=g.source,
            label=g.get_source_display(),
            granted=g.minutes,
            used=g.used,
            valid_from=g.valid_from,
            valid_to=g.valid_to,
        )
        for g in grants
    ]


def credit_balance(*, customer, on: date) -> CreditBalance:
    """The credit buckets valid on ``on`` (R3, R7) as they stood at the end of that day
    (R14): granted, used by the work performed on or before ``on``, remaining; one query.

    Work dated later does not count, so a January invoice shows what was left on
    31 January even when February's work has used it since.
    """
    _require_customer(customer)
    return credit_balances(customers=[customer], on=on)[customer.pk]


def credit_balances(*, customers, on: date) -> dict[int, CreditBalance]:
    """:func:`credit_balance` of many customers (instances or ids) at once, by customer id,
    in one query whatever their number; a customer with no credit has empty buckets."""
    _require_day(on)
    customers = list(customers)
    for customer in customers:
        if not isinstance(customer, int):
            _require_customer(customer)
    ids = [getattr(c, "pk", c) for c in customers]
    used = Sum("draws__minutes", filter=Q(draws__usage__performed_on__lte=on))
    grants = (
        CreditGrant.objects.filter(customer_id__in=ids, valid_from__lte=on, valid_to__gte=on)
        .annotate(used=Coalesce(used, Value(0), output_field=IntegerField()))
        .order_by("customer_id", "valid_to", "source", "id")
    )
    by_customer: dict[int, list] = {pk: [] for pk in ids}
    for grant in grants:
        by_customer[grant.customer_id].append(grant)
    return {pk: CreditBalance(on=on, buckets=_buckets(rows)) for pk, rows in by_customer.items()}


def credit_history(*, customer, before: date, limit: int = 6) -> list[CreditBucket]:
    """The customer's credit buckets that ended before ``before``, latest first, each with
    what was used and left at the end of its last day (R14); one query."""
    _require_customer(customer)
    _require_day(before)
    used = Sum("draws__minutes", filter=Q(draws__usage__performed_on__lte=F("valid_to")))
    grants = (
        CreditGrant.objects.filter(customer=customer, valid_to__lt=before)
        .annotate(used=Coalesce(used, Value(0), output_field=IntegerField()))
        .order_by("-valid_to", "source", "-id")[:limit]
    )
    return _buckets(grants)


@dataclass(frozen=True)
class WorkSummary:
    work_ref: str
    logged_minutes: int
    charged_minutes: int
    credit_minutes: int
    billable_minutes: int
    free_minutes: int
    amount: Decimal

    def __post_init__(self) -> None:
        if self.charged_minutes != self.credit_minutes + self.billable_minutes + self.free_minutes:
            raise ValueError("charged minutes must be credit + billable + free")


def work_summary(*, customer, work_ref: str) -> WorkSummary:
    """Totals of one case (``work_ref``) over all its usages and reversals; one query."""
    _require_customer(customer)
    totals = ledger_totals(Usage.objects.filter(customer=customer, work_ref=work_ref))
    return WorkSummary(
        work_ref=work_ref,
        logged_minutes=totals["logged"],
        charged_minutes=totals["charged"],
        credit_minutes=totals["credit"],
        billable_minutes=totals["billable"],
        free_minutes=totals["free"],
        amount=totals["amount"],
    )


def grants_with_use():
    """Every credit grant with the minutes used and remaining (``used_minutes``, which the
    ledger services keep: no sum over the draws of every grant of the page)."""
    return (
        CreditGrant.objects.select_related("customer")
        .annotate(used=F("used_minutes"))
        .annotate(remaining=F("minutes") - F("used_minutes"))
    )
