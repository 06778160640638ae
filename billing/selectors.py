"""Reads of the billing app."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Contact, Customer, LicenceKind, RentalPeriod
from customers.selectors import SupportStatus, support_status

from .models import (
    ActivityRate,
    Company,
    CreditGrant,
    GrantSource,
    Invoice,
    InvoiceKind,
    InvoiceLineKind,
    InvoiceRun,
    InvoiceStatus,
    Tariff,
    Usage,
    name_in_language,
)
from .rules import allocate, amount_step, charged_minutes, round_money

MAX_MINUTES = 720  # one posting covers at most a (long) working day


def tariff_in_force(*, on: date) -> Tariff:
    """The tariff in force on ``on``: the latest one whose start is not after that day."""
    tariff = (
        Tariff.objects.filter(valid_from__lte=on)
        .order_by("-valid_from")
        .prefetch_related("credit_allowances", "activities")
        .first()
    )
    if tariff is None:
        raise ValidationError(
            _("No tariff is in force on %(day)s; an administrator must enter one.")
            % {"day": f"{on:%d.%m.%Y}"}
        )
    return tariff


def free_on_verified_error(*, activity: str, on: date) -> bool:
    """R9: whether ``activity`` done on ``on`` is free on a case marked as a verified
    software error (its row in the tariff in force that day says so)."""
    return tariff_in_force(on=on).activity(activity).free_on_verified_error


def posted_free_on_verified_error(
    *, activity: str = "activity", tariff: str = "usage__tariff"
) -> Exists:
    """The same rule for work already posted, as a query condition: the activity (the
    field path ``activity``) is free on a verified error in the tariff its posting used."""
    return Exists(
        ActivityRate.objects.filter(
            tariff=OuterRef(tariff), code=OuterRef(activity), free_on_verified_error=True
        )
    )


def activity_choices(*, on: date) -> list[tuple[str, str]]:
    """The activities of the tariff in force on ``on``, as (code, name) in its order (one
    query; none without a tariff)."""
    in_force = Tariff.objects.filter(valid_from__lte=on).order_by("-valid_from").values("pk")
    rows = ActivityRate.objects.filter(tariff=Subquery(in_force[:1])).order_by("position", "code")
    return [(row.code, row.name) for row in rows]


def activity_names() -> dict[str, str]:
    """Every activity code of every tariff with its name in the page's language, in the
    order of the tariffs' activity lists (one query); a code keeps its latest name."""
    rows = ActivityRate.objects.order_by("tariff__valid_from").values_list(
        "code", "position", "name_fr", "name_de", "name_en"
    )
    latest = {code: (position, name_in_language(fr, de, en)) for code, position, fr, de, en in rows}
    return {
        code: name
        for code, (_position, name) in sorted(latest.items(), key=lambda i: (i[1][0], i[0]))
    }


def activity_filter_choices() -> list[tuple[str, str]]:
    """The activities for a filter over the ledger: every code that any tariff has."""
    return sorted(activity_names().items(), key=lambda item: item[1].lower())


def support_plus_capacity(*, on: date) -> int:
    """How many Support+ subscriptions may run at once, per the tariff in force on ``on``."""
    return tariff_in_force(on=on).support_plus_capacity


# --- planning a posting ---------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What posting ``logged`` minutes would do; shared by ``quote`` and ``record_usage``."""

    status: SupportStatus
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


def _coverable_grants(
    customer_id: int, status: SupportStatus, row: ActivityRate, contact, on: date
):
    """The grants that may pay for this work, in the order of R8, with what is left."""
    sources = row.credit_sources(registered=status.is_registered(contact))
    if not sources:
        return []
    grants = (
        CreditGrant.objects.filter(
            customer_id=customer_id,
            source__in=sources,
            valid_from__lte=on,
            valid_to__gte=on,
        )
        .annotate(used=Coalesce(Sum("draws__minutes"), Value(0), output_field=IntegerField()))
        .order_by("valid_to", "source", "id")  # "licence" sorts before "support_plus"
    )
    return [(grant, grant.minutes - grant.used) for grant in grants]


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
    status = support_status(customer=customer, on=performed_on)
    if not status.eligible and not repost:
        raise ValidationError(
            _("No support can be charged for %(customer)s on %(day)s. %(reason)s")
            % {"customer": customer.name, "day": _fmt(performed_on), "reason": status.reason}
        )
    tariff = tariff_in_force(on=performed_on)
    row = tariff.activity(activity)
    if row.first_rental_period_only and not repost:
        _check_first_rental_period(customer, performed_on, row)

    half_fare = row.has_half_fare(half_fare=status.half_fare is not None)
    rate = row.rate(half_fare=half_fare)
    before = {"logged": 0, "charged": 0, "billable": 0}
    if work_ref:
        before = Usage.objects.filter(
            customer=customer, work_ref=work_ref, activity=activity
        ).aggregate(
            logged=Coalesce(Sum("logged_minutes"), 0),
            charged=Coalesce(Sum("charged_minutes"), 0),
            billable=Coalesce(Sum("billable_minutes", filter=Q(rate=rate)), 0),
        )
    # R5 on the case's total; measured against what the case was actually charged so far,
    # so that a change of the unit in a new tariff never recharges the earlier minutes.
    unit = tariff.unit_minutes
    charged = max(charged_minutes(before["logged"] + minutes, unit) - before["charged"], 0)

    if row.free:
        return Plan(status=status, tariff=tariff, logged=minutes, charged=charged, free=charged)
    taken, billable = allocate(
        charged, _coverable_grants(customer.pk, status, row, contact, performed_on)
    )
    return Plan(
        status=status,
        tariff=tariff,
        logged=minutes,
        charged=charged,
        draws=taken,
        billable=billable,
        rate=rate,
        half_fare=half_fare,
        amount=amount_step(before["billable"], billable, rate),
    )


# --- credit and work ------------------------------------------------------------------


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


def _require_customer(customer) -> None:
    if not isinstance(customer, Customer) or customer.pk is None:
        raise ValidationError(_("Choose an existing customer."))


def _require_day(on) -> None:
    if not isinstance(on, date) or isinstance(on, datetime):
        raise ValidationError(_("The day must be a date."))


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
    _require_day(on)
    used = Sum("draws__minutes", filter=Q(draws__usage__performed_on__lte=on))
    grants = (
        CreditGrant.objects.filter(customer=customer, valid_from__lte=on, valid_to__gte=on)
        .annotate(used=Coalesce(used, Value(0), output_field=IntegerField()))
        .order_by("valid_to", "source", "id")
    )
    return CreditBalance(on=on, buckets=_buckets(grants))


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


# --- audit lists ----------------------------------------------------------------------


def ledger_usages():
    """Every usage with what its row shows, for the ledger page."""
    return Usage.objects.select_related("customer", "contact")


def ledger_totals(usages) -> dict:
    """Sums of a (filtered) set of usages, in one query (the amount to the centime)."""
    totals = usages.order_by().aggregate(
        logged=Coalesce(Sum("logged_minutes"), 0),
        charged=Coalesce(Sum("charged_minutes"), 0),
        credit=Coalesce(Sum("credit_minutes"), 0),
        billable=Coalesce(Sum("billable_minutes"), 0),
        free=Coalesce(Sum("free_minutes"), 0),
        amount=Coalesce(Sum("amount"), Value(Decimal("0.00")), output_field=DecimalField()),
    )
    # SQLite sums decimals as floating point; round back to the centime.
    totals["amount"] = round_money(Decimal(str(totals["amount"])))
    return totals


def grants_with_use():
    """Every credit grant with the minutes used and remaining."""
    used = Coalesce(Sum("draws__minutes"), Value(0), output_field=IntegerField())
    return (
        CreditGrant.objects.select_related("customer")
        .annotate(used=used)
        .annotate(remaining=F("minutes") - F("used"))
    )


def company() -> Company:
    """The creditor data for invoices; a clear error while an administrator has not entered it."""
    found = Company.objects.first()
    if found is None:
        raise ValidationError(
            _("The company data (creditor, UID, IBAN) is missing; an administrator enters it.")
        )
    return found


# --- invoices ---------------------------------------------------------------------------


def invoices():
    """Invoices with what their pages show next to them (one query)."""
    return Invoice.objects.select_related("customer", "cancels", "credit_note")


def invoice_list_totals(invoices) -> dict:
    """Count and sums of the issued invoices and credit notes of a filtered list (one query).

    Drafts are counted apart: they are not invoiced yet. A cancelled invoice and its credit
    note add up to zero.
    """
    issued = ~Q(status=InvoiceStatus.DRAFT)
    sums = invoices.order_by().aggregate(
        count=Count("id", filter=issued),
        drafts=Count("id", filter=~issued),
        net=Sum("net", filter=issued),
        vat=Sum("vat", filter=issued),
        total=Sum("total", filter=issued),
    )
    # SQLite adds decimals as floats: bring the sums back to exact centimes.
    return {
        "count": sums["count"],
        "drafts": sums["drafts"],
        **{name: round_money(Decimal(str(sums[name] or 0))) for name in ("net", "vat", "total")},
    }


def last_invoiced_day(*, customer) -> date | None:
    """The last day of the latest period invoiced to the customer (cancelled invoices aside):
    no work may be dated on or before it any more (R13)."""
    _require_customer(customer)
    return (
        Invoice.objects.filter(
            customer=customer, kind=InvoiceKind.INVOICE, status=InvoiceStatus.ISSUED
        )
        .order_by()
        .aggregate(last=Max("period_end"))["last"]
    )


def invoice_runs_recent(limit: int = 3) -> list[InvoiceRun]:
    return list(InvoiceRun.objects.select_related("created_by")[:limit])


@dataclass
class LineGroup:
    """The lines of one case (``title`` is its reference), or the subscription fees."""

    title: str
    text: str = ""
    contact: str = ""
    is_fees: bool = False
    lines: list = field(default_factory=list)


def invoice_line_groups(invoice: Invoice) -> list[LineGroup]:
    """Work lines grouped by case in the order of the invoice, then the fees (one query)."""
    cases: dict[str, LineGroup] = {}
    fees = LineGroup(title=_("Subscriptions"), is_fees=True)
    for line in invoice.lines.order_by("position"):
        if line.kind != InvoiceLineKind.WORK:
            fees.lines.append(line)
            continue
        group = cases.get(line.work_ref)
        if group is None:
            group = cases[line.work_ref] = LineGroup(
                title=line.work_ref, text=line.text, contact=line.contact_name
            )
        group.lines.append(line)
    return [*cases.values(), *([fees] if fees.lines else [])]


def tariff_upcoming(*, on: date) -> Tariff | None:
    """The next tariff entered to come into force after ``on``, if there is one."""
    return (
        Tariff.objects.filter(valid_from__gt=on)
        .order_by("valid_from")
        .prefetch_related("activities")
        .first()
    )


# --- the ledger's kinds of minutes (the ledger's filter and the dashboard count alike) ---


class LedgerMinutes(models.TextChoices):
    FREE = "free", gettext_lazy("Free")
    CREDIT = "credit", gettext_lazy("From credit")
    BILLABLE = "billable", gettext_lazy("Billable")
    UNBILLED = "unbilled", gettext_lazy("Billable, not invoiced yet")


def ledger_minutes_q(kind: str) -> Q:
    """The postings that carry minutes of ``kind`` (reversals included, so sums stay net)."""
    return {
        LedgerMinutes.FREE: ~Q(free_minutes=0),
        LedgerMinutes.CREDIT: ~Q(credit_minutes=0),
        LedgerMinutes.BILLABLE: ~Q(billable_minutes=0),
        LedgerMinutes.UNBILLED: ~Q(billable_minutes=0) & Q(invoiced_at__isnull=True),
    }[kind]
