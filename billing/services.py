"""Writes of the billing app: credit grants and the usage ledger (DESIGN §1 R1–R9, R12).

The desk reports work through :func:`record_usage`; a correction is
:func:`usage_reverse`. Grants are derived from the customer model by the ``grant_sync_*``
services, which the signal handlers in ``billing.signals`` call whenever a rental period,
licence or Support+ subscription changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import (
    Contact,
    Customer,
    HalfFareSubscription,
    Licence,
    LicenceKind,
    RentalPeriod,
    SupportPlusSubscription,
)
from q3helpdesk.guards import check_instance_text, service

from .models import (
    CLAIMING_STATUSES,
    CreditGrant,
    GrantSource,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceLineKind,
    InvoiceLineUsage,
    InvoiceNumberSequence,
    InvoiceRun,
    InvoiceRunStatus,
    InvoiceStatus,
    Tariff,
    Usage,
    UsageDraw,
)
from .rules import (
    allocate,
    amount_step,
    charged_minutes,
    creditor_reference,
    invoice_totals,
    line_amount,
    qr_reference,
    rental_years,
)
from .selectors import company, credit_balance, plan_usage, tariff_in_force
from .tasks import render_invoice_pdf, run_invoice_drafts

# --- credit grants --------------------------------------------------------------------


def _tariff_or_none(on: date) -> Tariff | None:
    try:
        return tariff_in_force(on=on)
    except ValidationError:
        return None  # before the first tariff there is no credit


def _licence_grants_wanted(period: RentalPeriod, main_modules: int) -> list[dict]:
    """The grants a rental period gives (R3): one per rental year whose annual rent reaches
    the threshold of the tariff in force at that year's start, with that tariff's minutes.

    A last part shorter than a year is a rental year too and gets the full credit, as a
    period shorter than a year always has (the concept grants credit per rental year and
    knows no fractions of it).
    """
    if period.licence.kind != LicenceKind.RENTAL:
        return []
    wanted = []
    for first, last in rental_years(period.start, period.end):
        tariff = _tariff_or_none(first)
        if tariff is None or period.annual_rent < tariff.credit_threshold:
            continue
        wanted.append(
            {
                "customer_id": period.licence.customer_id,
                "valid_from": first,
                "valid_to": last,
                "minutes": tariff.credit_minutes(period.licence.variant, main_modules),
                "tariff": tariff,
            }
        )
    return wanted


def _pair_grants(existing: list[CreditGrant], wanted: list[dict]):
    """Existing grants against the wanted ones, year by year: (grant, wanted), with ``None``
    on either side where a year appears or disappears.

    A grant stays with the year that starts on its first day; else one that credit was
    drawn from goes with the year holding its first draw; what is left pairs in order.
    """
    years = sorted(wanted, key=lambda w: w["valid_from"])
    grants = sorted(existing, key=lambda g: g.valid_from)
    pairs: dict[int, CreditGrant] = {}
    free = list(grants)
    for i, want in enumerate(years):
        match = next((g for g in free if g.valid_from == want["valid_from"]), None)
        if match is not None:
            pairs[i] = match
            free.remove(match)
    first_draw = dict(
        UsageDraw.objects.filter(grant__in=free)
        .values("grant_id")
        .annotate(first=Min("usage__performed_on"))
        .values_list("grant_id", "first")
    )
    for grant in list(free):
        day = first_draw.get(grant.pk)
        if day is None:
            continue
        i = next(
            (
                i
                for i, w in enumerate(years)
                if i not in pairs and w["valid_from"] <= day <= w["valid_to"]
            ),
            None,
        )
        if i is not None:
            pairs[i] = grant
            free.remove(grant)
    rest = iter(free)
    for i in range(len(years)):
        if i not in pairs:
            grant = next(rest, None)
            if grant is not None:
                pairs[i] = grant
    result = [(pairs.get(i), want) for i, want in enumerate(years)]
    result += [(grant, None) for grant in rest]
    return result


def _check_grant_keeps_its_draws(grant: CreditGrant, wanted: dict | None, source) -> None:
    """Refuse a change that would take back credit already used (or move it elsewhere).

    ``source`` is the rental period or Support+ subscription being changed, with its new
    values; ``wanted`` the grant it would give after the change (None: no grant).
    """
    usage = UsageDraw.objects.filter(grant=grant).aggregate(
        used=Sum("minutes"), first=Min("usage__performed_on"), last=Max("usage__performed_on")
    )
    if not usage["used"]:
        return
    span = f"{source.start:%d.%m.%Y}–{source.end:%d.%m.%Y}"
    if isinstance(source, SupportPlusSubscription):
        what = _("the Support+ subscription %(span)s") % {"span": span}
    else:
        what = _("the rental period %(span)s") % {"span": span}
    minutes = wanted["minutes"] if wanted else 0
    if wanted and wanted["customer_id"] != grant.customer_id:
        raise ValidationError(
            _("Credit of %(what)s is already used; it cannot move to another customer.")
            % {"what": what}
        )
    if minutes < usage["used"]:
        raise ValidationError(
            _(
                "%(used)s minutes of the credit of %(what)s are already used; after this"
                " change it would grant only %(minutes)s. Correct the usages first (reverse"
                " them), or leave it as it is."
            )
            % {"used": usage["used"], "what": what, "minutes": minutes}
        )
    if usage["first"] < wanted["valid_from"] or usage["last"] > wanted["valid_to"]:
        raise ValidationError(
            _(
                "The credit of %(what)s was used between %(first)s and %(last)s; it must"
                " still cover those days."
            )
            % {
                "what": what,
                "first": f"{usage['first']:%d.%m.%Y}",
                "last": f"{usage['last']:%d.%m.%Y}",
            }
        )


def _support_plus_grant_wanted(subscription: SupportPlusSubscription) -> dict | None:
    """The extra credit of a Support+ subscription (R7), from the tariff at its start."""
    tariff = _tariff_or_none(subscription.start)
    if tariff is None:
        return None
    return {
        "customer_id": subscription.customer_id,
        "valid_from": subscription.start,
        "valid_to": subscription.end,
        "minutes": tariff.support_plus_extra_minutes,
        "tariff": tariff,
    }


@service(allow_unsaved=("period", "licence", "support_plus"))
def check_credit_change(
    *,
    period: RentalPeriod | None = None,
    licence: Licence | None = None,
    main_module_count: int | None = None,
    support_plus: SupportPlusSubscription | None = None,
) -> None:
    """Refuse a change of a rental period, a licence or a Support+ subscription that would
    take back used credit.

    Registered with ``customers.hooks``; the models' ``clean()``, the customers services
    and the admin call it before saving. The arguments carry the new, unsaved values.
    """
    if support_plus is not None and support_plus.pk:
        grant = CreditGrant.objects.filter(support_plus_id=support_plus.pk).first()
        if grant is not None:
            _check_grant_keeps_its_draws(
                grant, _support_plus_grant_wanted(support_plus), support_plus
            )
    changes = []
    if period is not None and period.pk:
        main = period.licence.modules.filter(is_main=True).count()
        changes.append((period, main))
    if licence is not None and licence.pk:
        main = (
            main_module_count
            if main_module_count is not None
            else licence.modules.filter(is_main=True).count()
        )
        for saved in RentalPeriod.objects.filter(licence_id=licence.pk):
            saved.licence = licence
            changes.append((saved, main))
    for changed, main in changes:
        existing = list(CreditGrant.objects.filter(rental_period_id=changed.pk))
        for grant, wanted in _pair_grants(existing, _licence_grants_wanted(changed, main)):
            if grant is not None:
                _check_grant_keeps_its_draws(grant, wanted, changed)


@service
@transaction.atomic
def grant_sync_for_period(*, period: RentalPeriod) -> list[CreditGrant]:
    """Create, update or remove the licence credit grants of one rental period (one per
    rental year); refused when a change would take back credit already used."""
    period = RentalPeriod.objects.select_related("licence").get(pk=period.pk)
    main_modules = period.licence.modules.filter(is_main=True).count()
    wanted = _licence_grants_wanted(period, main_modules)
    existing = list(CreditGrant.objects.filter(rental_period=period).select_for_update())
    pairs = _pair_grants(existing, wanted)
    for grant, want in pairs:
        if grant is not None:
            _check_grant_keeps_its_draws(grant, want, period)
    # Grants whose year moves step aside first, so that two grants of the period never
    # share a first day on the way (one grant per rental year).
    moving = [g for g, w in pairs if g is not None and w and g.valid_from != w["valid_from"]]
    for offset, grant in enumerate(moving):
        aside = date(1900, 1, 1) + timedelta(days=offset)
        CreditGrant.objects.filter(pk=grant.pk).update(valid_from=aside)
        grant.valid_from = aside
    kept = []
    for grant, want in pairs:  # years that are gone first: they free their first days
        if want is not None:
            continue
        if grant.draws.exists():
            # Drawn and given back: the ledger still points at it; keep it, empty.
            if grant.minutes:
                grant.minutes = 0
                grant.save(update_fields=["minutes", "updated_at"])
            kept.append(grant)
        else:
            grant.delete()
    for grant, want in pairs:
        if want is None:
            continue
        if grant is None:
            kept.append(
                CreditGrant.objects.create(source=GrantSource.LICENCE, rental_period=period, **want)
            )
        else:
            changed = [name for name, value in want.items() if getattr(grant, name) != value]
            if changed:
                for name in changed:
                    setattr(grant, name, want[name])
                grant.save(update_fields=[*changed, "updated_at"])
            kept.append(grant)
    return sorted(kept, key=lambda g: g.valid_from)


@service
@transaction.atomic
def grant_sync_for_licence(*, licence: Licence) -> None:
    """Re-derive the grants of every rental period of a licence (variant or modules changed)."""
    for period in RentalPeriod.objects.filter(licence=licence):
        grant_sync_for_period(period=period)


@service
@transaction.atomic
def grant_sync_for_support_plus(*, subscription: SupportPlusSubscription) -> CreditGrant | None:
    """Create or update the extra credit of a Support+ subscription (R7)."""
    wanted = _support_plus_grant_wanted(subscription)
    existing = CreditGrant.objects.filter(support_plus=subscription).first()
    if existing is not None:
        _check_grant_keeps_its_draws(existing, wanted, subscription)
    if wanted is None:
        if existing is not None and existing.draws.exists():
            existing.minutes = 0  # drawn and given back: the ledger still points at it
            existing.save(update_fields=["minutes", "updated_at"])
            return existing
        if existing is not None:
            existing.delete()
        return None
    if existing is None:
        return CreditGrant.objects.create(
            source=GrantSource.SUPPORT_PLUS, support_plus=subscription, **wanted
        )
    changed = [name for name, value in wanted.items() if getattr(existing, name) != value]
    if changed:
        for name in changed:
            setattr(existing, name, wanted[name])
        existing.save(update_fields=[*changed, "updated_at"])
    return existing


@service
@transaction.atomic
def grants_sync_all(*, customers: Iterable[Customer] | None = None) -> int:
    """Derive every missing grant in bulk (after bulk imports); returns how many were added.

    Existing grants are left as they are; use the ``grant_sync_*`` services for changes.
    """
    tariffs: dict[date, Tariff | None] = {}

    def tariff_on(day: date) -> Tariff | None:
        if day not in tariffs:
            tariffs[day] = _tariff_or_none(day)
        return tariffs[day]

    periods = (
        RentalPeriod.objects.filter(licence__kind=LicenceKind.RENTAL, credit_grants__isnull=True)
        .select_related("licence")
        .annotate(main_modules=Count("licence__modules", filter=Q(licence__modules__is_main=True)))
    )
    subscriptions = SupportPlusSubscription.objects.filter(credit_grant__isnull=True)
    if customers is not None:
        periods = periods.filter(licence__customer__in=customers)
        subscriptions = subscriptions.filter(customer__in=customers)
    new = []
    for period in periods.iterator(chunk_size=2000):
        for first, last in rental_years(period.start, period.end):
            tariff = tariff_on(first)
            if tariff is None or period.annual_rent < tariff.credit_threshold:
                continue
            new.append(
                CreditGrant(
                    customer_id=period.licence.customer_id,
                    source=GrantSource.LICENCE,
                    rental_period=period,
                    valid_from=first,
                    valid_to=last,
                    minutes=tariff.credit_minutes(period.licence.variant, period.main_modules),
                    tariff=tariff,
                )
            )
    for subscription in subscriptions:
        tariff = tariff_on(subscription.start)
        if tariff is None:
            continue
        new.append(
            CreditGrant(
                customer_id=subscription.customer_id,
                source=GrantSource.SUPPORT_PLUS,
                support_plus=subscription,
                valid_from=subscription.start,
                valid_to=subscription.end,
                minutes=tariff.support_plus_extra_minutes,
                tariff=tariff,
            )
        )
    CreditGrant.objects.bulk_create(new, batch_size=2000)
    return len(new)


# --- the ledger -----------------------------------------------------------------------


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
    performed_by: AbstractBaseUser | None = None,
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
        customer = Customer.objects.select_for_update().filter(pk=customer.pk).first()
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
    totals = bucket.aggregate(logged=Sum("logged_minutes"), charged=Sum("charged_minutes"))
    unit = usage.tariff.unit_minutes
    remaining = charged_minutes(totals["logged"] - usage.logged_minutes, unit)
    need = max(totals["charged"] - remaining, 0)

    sources = _withdrawal_sources(usage, bucket)
    taken, rest = allocate(need, sources)
    if rest:  # cannot happen while the ledger is consistent; never post a wrong reversal
        raise ValidationError(
            _("The ledger of this case is inconsistent; contact an administrator.")
        )

    net_billable = {
        row["rate"]: row["net"]
        for row in bucket.values("rate").annotate(net=Sum("billable_minutes"))
    }
    by_key: dict[tuple, int] = {}
    for key, minutes in taken:
        by_key[key] = by_key.get(key, 0) + minutes
    billable = {key[1]: m for key, m in by_key.items() if key[0] == "billable"}
    draws = [(key[1], m) for key, m in by_key.items() if key[0] == "grant"]
    free = sum(m for key, m in by_key.items() if key[0] == "free")
    reversal = Usage.objects.create(
        customer_id=usage.customer_id,
        activity=usage.activity,
        work_ref=usage.work_ref,
        performed_on=usage.performed_on,
        logged_minutes=-usage.logged_minutes,
        charged_minutes=-need,
        credit_minutes=-sum(m for _, m in draws),
        billable_minutes=-sum(billable.values()),
        free_minutes=-free,
        rate=usage.rate,
        amount=sum(
            (amount_step(net_billable[rate], -m, rate) for rate, m in billable.items()),
            Decimal("0.00"),
        ),
        half_fare=usage.half_fare,
        tariff=usage.tariff,
        contact_id=usage.contact_id,
        label=usage.label,
        reverses=usage,
        reason=reason.strip(),
    )
    UsageDraw.objects.bulk_create(
        UsageDraw(usage=reversal, grant_id=grant_id, minutes=-m) for grant_id, m in draws
    )
    return reversal


def _withdrawal_sources(usage: Usage, bucket) -> list[tuple[tuple, int]]:
    """What the case can give back, in the order :func:`usage_reverse` takes it.

    First what the usage itself brought (its billable minutes, its draws in the order it
    made them, its free minutes), then what else the case holds, most recent first. A key
    may appear twice (own part, then the rest); the caller adds the takings up per key.
    """
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
    own_draws = list(usage.draws.order_by("id").values_list("grant_id", "minutes"))
    free = bucket.aggregate(net=Sum("free_minutes"))["net"] or 0

    own_billable = min(billable.get(usage.rate, (0, 0))[0], usage.billable_minutes)
    own_grant = {g: min(drawn[g][0], m) for g, m in own_draws}
    own_free = min(free, usage.free_minutes)

    def most_recent_first(table):
        return sorted(table, key=lambda key: table[key][1], reverse=True)

    sources: list[tuple[tuple, int]] = [(("billable", usage.rate), own_billable)]
    sources += [(("grant", g), m) for g, m in own_grant.items()]
    sources.append((("free", None), own_free))
    for rate in most_recent_first(billable):
        rest = billable[rate][0] - (own_billable if rate == usage.rate else 0)
        sources.append((("billable", rate), rest))
    for grant_id in most_recent_first(drawn):
        sources.append((("grant", grant_id), drawn[grant_id][0] - own_grant.get(grant_id, 0)))
    sources.append((("free", None), free - own_free))
    return sources


# --- invoice numbers --------------------------------------------------------------------


@service
def invoice_number_next(*, year: int) -> str:
    """The next invoice number of ``year`` (``2026-00017``), gap-free and unique.

    Must run inside the transaction that issues the invoice: the year's row stays locked
    until it commits, so two desks issuing at once get consecutive numbers, and a rolled
    back issue gives its number back.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("invoice_number_next() must run inside the issuing transaction")
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 9999:
        raise ValidationError(_("The invoice year must be a year such as 2026."))
    # Create the year's row if needed without racing another desk, then lock it.
    InvoiceNumberSequence.objects.bulk_create(
        [InvoiceNumberSequence(year=year, last=0)], ignore_conflicts=True
    )
    sequence = InvoiceNumberSequence.objects.select_for_update().get(year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"{year}-{sequence.last:05d}"


# --- invoices ---------------------------------------------------------------------------


def _check_period(period_start, period_end) -> None:
    for day in (period_start, period_end):
        if isinstance(day, datetime) or not isinstance(day, date):
            raise ValidationError(_("Give the period as two dates."))
    if period_end < period_start:
        raise ValidationError(_("The end of the period cannot be before its start."))
    if (period_end - period_start).days > 366:
        raise ValidationError(_("An invoice period is at most one year long."))


def _customer_ids(customers) -> list[int] | None:
    if customers is None:
        return None
    if isinstance(customers, str | bytes | dict) or not isinstance(customers, Iterable):
        raise ValidationError(_("Choose existing customers to invoice."))
    ids = []
    for customer in customers:
        if not isinstance(customer, Customer) or customer.pk is None:
            raise ValidationError(_("Choose existing customers to invoice."))
        ids.append(customer.pk)
    return ids


def _claimed():
    """Whether a draft or an issued invoice holds the usage (a correlated ``EXISTS``: one
    index probe per usage, not a scan of every invoiced usage)."""
    return Exists(
        InvoiceLineUsage.objects.filter(
            usage=OuterRef("pk"),
            line__invoice__kind=InvoiceKind.INVOICE,
            line__invoice__status__in=CLAIMING_STATUSES,
        )
    )


def _claimed_lines():
    return InvoiceLine.objects.filter(invoice__in=Invoice.objects.claiming())


def _unbilled_usages(period_start: date, period_end: date):
    """Postings up to the period's end with billable minutes that no draft or invoice holds.

    Earlier postings still unbilled (posted late, or taken off a draft) come along, so
    nothing is left behind; their lines show their own days.
    """
    return (
        Usage.objects.filter(performed_on__lte=period_end, invoiced_at__isnull=True)
        .exclude(billable_minutes=0)
        .exclude(_claimed())
    )


def _fees_due(period_start: date, period_end: date):
    """Support+ and half-fare subscriptions starting by the period's end, not yet invoiced."""
    claimed = _claimed_lines()
    support_plus = SupportPlusSubscription.objects.filter(start__lte=period_end).exclude(
        pk__in=claimed.filter(support_plus__isnull=False).values("support_plus_id")
    )
    half_fare = HalfFareSubscription.objects.filter(start__lte=period_end).exclude(
        pk__in=claimed.filter(half_fare_subscription__isnull=False).values(
            "half_fare_subscription_id"
        )
    )
    return support_plus, half_fare


@service(own_checks=("period_start", "period_end", "customers"))
def invoice_drafts(
    *,
    period_start: date,
    period_end: date,
    customers: Iterable[Customer] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Invoice]:
    """Build (or rebuild) one draft per customer with anything billable in the period.

    Billable usages of the period that no draft or issued invoice holds, Support+
    subscriptions starting in the period (R7 prices) and half-fare subscriptions when the
    tariff prices them. The customer's earlier drafts for the same period are rebuilt, so
    running it again refreshes them; a usage is never on two drafts or invoices, because
    each customer's row is locked while its draft is built (as when time is posted).
    ``progress(done, total)`` is called after each customer.
    """
    _check_period(period_start, period_end)
    ids = _customer_ids(customers)
    vat_rate = tariff_in_force(on=period_end).vat_rate  # a clear error before the first tariff
    before = _tariff_or_none(period_start)
    vat_changes = next(
        (
            tariff
            for tariff in Tariff.objects.filter(
                valid_from__gt=period_start, valid_from__lte=period_end
            ).order_by("valid_from")
            if before is not None and tariff.vat_rate != before.vat_rate
        ),
        None,
    )
    if vat_changes is not None:
        raise ValidationError(
            _(
                "The VAT rate changes within this period (on %(day)s); invoice the time"
                " before and after that day separately."
            )
            % {"day": f"{vat_changes.valid_from:%d.%m.%Y}"}
        )

    support_plus, half_fare = _fees_due(period_start, period_end)
    candidates = (
        set(
            _unbilled_usages(period_start, period_end)
            .values_list("customer_id", flat=True)
            .distinct()
        )
        | set(support_plus.values_list("customer_id", flat=True))
        | set(half_fare.values_list("customer_id", flat=True))
        | set(
            Invoice.objects.filter(
                status=InvoiceStatus.DRAFT, period_start=period_start, period_end=period_end
            ).values_list("customer_id", flat=True)
        )
    )
    if ids is not None:
        candidates &= set(ids)
    drafts = []
    total = len(candidates)
    for done, customer_id in enumerate(sorted(candidates), start=1):
        draft = _draft_for_customer(customer_id, period_start, period_end, vat_rate)
        if draft is not None:
            drafts.append(draft)
        if progress is not None:
            progress(done, total)
    return drafts


@transaction.atomic
def _draft_for_customer(
    customer_id: int, period_start: date, period_end: date, vat_rate: Decimal
) -> Invoice | None:
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    Invoice.objects.filter(
        customer=customer,
        status=InvoiceStatus.DRAFT,
        period_start=period_start,
        period_end=period_end,
    ).delete()
    lines = _work_lines(customer, period_start, period_end) + _fee_lines(
        customer, period_start, period_end
    )
    if not lines:
        return None
    invoice = Invoice(
        customer=customer,
        period_start=period_start,
        period_end=period_end,
        vat_rate=vat_rate,
    )
    _copy_debtor(invoice, customer)
    invoice.save()
    line_usages = []
    for position, (line, usage_ids) in enumerate(lines, start=1):
        line.invoice = invoice
        line.position = position
        line.save()
        line_usages += [InvoiceLineUsage(line=line, usage_id=uid) for uid in usage_ids]
    InvoiceLineUsage.objects.bulk_create(line_usages)
    _refresh_totals(invoice)
    return invoice


def _work_lines(customer: Customer, period_start: date, period_end: date):
    """One line per case, activity and rate: the case's unbilled postings of the period.

    The credit minutes of the case's other postings in the period are shown with it, for
    information; only postings with billable minutes are held by the line.
    """
    billable = list(_unbilled_usages(period_start, period_end).filter(customer=customer))
    if not billable:
        return []
    keys = {(u.work_ref, u.activity, u.rate) for u in billable}
    info = (
        Usage.objects.filter(
            customer=customer,
            performed_on__gte=period_start,
            performed_on__lte=period_end,
            billable_minutes=0,
            work_ref__in={key[0] for key in keys},
        )
        .exclude(_claimed())
        .only("work_ref", "activity", "rate", "charged_minutes", "credit_minutes")
    )
    groups: dict[tuple, list[Usage]] = {}
    for usage in sorted(billable, key=lambda u: (u.performed_on, u.pk)):
        groups.setdefault((usage.work_ref, usage.activity, usage.rate), []).append(usage)
    extra: dict[tuple, list[Usage]] = {}
    for usage in info:
        key = (usage.work_ref, usage.activity, usage.rate)
        if key in groups:
            extra.setdefault(key, []).append(usage)
    contacts = dict(
        Contact.objects.filter(pk__in={u.contact_id for u in billable if u.contact_id}).values_list(
            "pk", "name"
        )
    )
    lines = []
    for (work_ref, activity, rate), usages in groups.items():
        shown = usages + extra.get((work_ref, activity, rate), [])
        billable_minutes = sum(u.billable_minutes for u in usages)
        if billable_minutes == 0:
            continue  # a posting and its reversal: nothing to bill
        # R12 on the line itself (the ledger's amounts step on the case's running total,
        # which differs by a centime when a case is billed over two periods).
        amount = line_amount(billable_minutes, rate)
        originals = [u for u in usages if not u.is_reversal] or usages
        last_contact = next((u.contact_id for u in reversed(originals) if u.contact_id), None)
        line = InvoiceLine(
            kind=InvoiceLineKind.WORK,
            work_ref=work_ref,
            activity=activity,
            text=originals[0].label or work_ref,
            contact_name=contacts.get(last_contact, ""),
            first_day=min(u.performed_on for u in usages),
            last_day=max(u.performed_on for u in usages),
            charged_minutes=sum(u.charged_minutes for u in shown),
            credit_minutes=sum(u.credit_minutes for u in shown),
            billable_minutes=billable_minutes,
            rate=rate,
            half_fare=originals[0].half_fare,
            amount=amount,
        )
        lines.append((line, [u.pk for u in usages]))
    return lines


def _fee_lines(customer: Customer, period_start: date, period_end: date):
    # Each text is copied in the customer's (the invoice's) language and says what the fee
    # is for: which subscription, whose (the additional persons by name), which term.
    # (Imported here: only this function of the module writes texts in another language.)
    from django.utils import translation
    from django.utils.translation import ngettext

    support_plus, half_fare = _fees_due(period_start, period_end)
    lines = []
    for subscription in (
        support_plus.filter(customer=customer).prefetch_related("registered").order_by("start")
    ):
        tariff = _tariff_or_none(subscription.start)
        if tariff is None:
            continue
        registered = list(subscription.registered.all())
        line = InvoiceLine(
            kind=InvoiceLineKind.SUPPORT_PLUS,
            contact_name=registered[0].name if registered else "",
            first_day=subscription.start,
            last_day=subscription.end,
            quantity=1,
            rate=tariff.support_plus_price,
            amount=tariff.support_plus_price,
            support_plus=subscription,
        )
        with translation.override(customer.language):
            line.text = (
                _("Support+ subscription: %(name)s, %(days)s")
                % {"name": line.contact_name, "days": line.days}
                if line.contact_name
                else _("Support+ subscription, %(days)s") % {"days": line.days}
            )[:200]
        lines.append((line, []))
        extra = registered[1:]
        if extra:
            price = tariff.support_plus_additional_person_price
            line = InvoiceLine(
                kind=InvoiceLineKind.SUPPORT_PLUS_PERSON,
                contact_name=", ".join(c.name for c in extra)[:140],
                first_day=subscription.start,
                last_day=subscription.end,
                quantity=len(extra),
                rate=price,
                amount=price * len(extra),
                support_plus=subscription,
            )
            with translation.override(customer.language):
                line.text = (
                    ngettext(
                        "Support+ additional person: %(names)s, %(days)s",
                        "Support+ additional persons: %(names)s, %(days)s",
                        len(extra),
                    )
                    % {"names": ", ".join(c.name for c in extra), "days": line.days}
                )[:200]
            lines.append((line, []))
    for subscription in half_fare.filter(customer=customer).order_by("start"):
        tariff = _tariff_or_none(subscription.start)
        if tariff is None or tariff.half_fare_price is None:
            continue
        line = InvoiceLine(
            kind=InvoiceLineKind.HALF_FARE,
            first_day=subscription.start,
            last_day=subscription.end,
            quantity=1,
            rate=tariff.half_fare_price,
            amount=tariff.half_fare_price,
            half_fare_subscription=subscription,
        )
        with translation.override(customer.language):
            line.text = _("Half-fare subscription, %(days)s") % {"days": line.days}
        lines.append((line, []))
    return lines


def _copy_debtor(invoice: Invoice, customer: Customer) -> None:
    invoice.language = customer.language
    invoice.debtor_number = customer.number
    invoice.debtor_name = customer.name
    invoice.debtor_street = customer.street
    invoice.debtor_house_number = customer.house_number
    invoice.debtor_postcode = customer.postcode
    invoice.debtor_city = customer.city
    invoice.debtor_country = customer.country


def _refresh_totals(invoice: Invoice) -> None:
    """Net, VAT, rounding and total of a draft from its lines, plus the credit figures."""
    net = invoice.lines.aggregate(net=Sum("amount"))["net"] or Decimal("0.00")
    vat, rounding, total = invoice_totals(net, invoice.vat_rate)
    used = Usage.objects.filter(
        customer_id=invoice.customer_id,
        performed_on__gte=invoice.period_start,
        performed_on__lte=invoice.period_end,
    ).aggregate(used=Sum("credit_minutes"))["used"]
    remaining = credit_balance(customer=invoice.customer, on=invoice.period_end).remaining
    Invoice.objects.filter(pk=invoice.pk, status=InvoiceStatus.DRAFT).update(
        net=net,
        vat=vat,
        rounding=rounding,
        total=total,
        credit_used_minutes=used or 0,
        credit_remaining_minutes=remaining,
    )
    invoice.refresh_from_db()


def _require_invoice(invoice) -> None:
    if not isinstance(invoice, Invoice) or invoice.pk is None:
        raise ValidationError(_("Choose an existing invoice."))


def _require_draft(invoice: Invoice) -> None:
    if invoice.status != InvoiceStatus.DRAFT:
        raise ValidationError(
            _("Invoice %(number)s is already issued; it cannot be changed.")
            % {"number": invoice.number}
        )


def _lock_draft(invoice) -> Invoice:
    """Lock the customer, then the invoice (the order every invoice write takes)."""
    _require_invoice(invoice)
    Customer.objects.select_for_update().get(pk=invoice.customer_id)
    locked = Invoice.objects.select_for_update().filter(pk=invoice.pk).first()
    if locked is None:
        raise ValidationError(_("This draft no longer exists; run the period again."))
    return locked


@service
@transaction.atomic
def invoice_line_remove(*, line: InvoiceLine) -> Invoice | None:
    """Take a line off a draft: its usages or fee become unbilled again.

    Returns the draft, or None when it had no other line and was discarded.
    """
    if not isinstance(line, InvoiceLine) or line.pk is None:
        raise ValidationError(_("Choose a line of a draft."))
    invoice = _lock_draft(line.invoice)
    _require_draft(invoice)
    line = InvoiceLine.objects.filter(pk=line.pk, invoice=invoice).first()
    if line is None:
        raise ValidationError(_("This line is no longer on the draft."))
    line.delete()
    rest = list(invoice.lines.order_by("position"))
    if not rest:
        invoice.delete()
        return None
    for position, other in enumerate(rest, start=1):
        if other.position != position:
            other.position = position
            other.save(update_fields=["position"])
    _refresh_totals(invoice)
    return invoice


@service
@transaction.atomic
def invoice_discard(*, invoice: Invoice) -> None:
    """Delete a draft: everything on it becomes unbilled again."""
    invoice = _lock_draft(invoice)
    _require_draft(invoice)
    invoice.delete()


def _check_company(creditor) -> None:
    try:
        creditor.full_clean()
    except ValidationError as exc:
        raise ValidationError(
            _(
                "The company data is not valid (%(fields)s); an administrator must correct"
                " it before invoices can be issued."
            )
            % {"fields": ", ".join(sorted(exc.message_dict))}
        ) from exc


@service
@transaction.atomic
def invoice_issue(
    *,
    invoice: Invoice,
    issued_on: date | None = None,
    issued_by: AbstractBaseUser | None = None,
    render_pdf: bool = True,
) -> Invoice:
    """Issue a draft: number it, copy creditor and debtor into it and freeze it for good.

    The PDF is rendered by the background worker after the commit. ``render_pdf=False``
    leaves it to the first download (which renders and stores a missing PDF): for issuing
    many historic invoices at once, e.g. the demo data, without queueing hours of work.
    """
    today = timezone.localdate()
    if issued_on is None:
        issued_on = today
    if isinstance(issued_on, datetime) or not isinstance(issued_on, date):
        raise ValidationError(_("The issue date must be a date."))
    if issued_on > today:
        raise ValidationError(_("An invoice cannot be issued with a date in the future."))
    if issued_by is not None and not isinstance(issued_by, get_user_model()):
        raise ValidationError(_("An invoice is issued by a user of the desk."))
    invoice = _lock_draft(invoice)
    _require_draft(invoice)
    lines = list(invoice.lines.all())
    if not lines:
        raise ValidationError(_("This draft has no lines; there is nothing to invoice."))
    latest = max(
        line.last_day if line.kind == InvoiceLineKind.WORK else line.first_day for line in lines
    )
    if issued_on < latest:
        raise ValidationError(
            _("An invoice cannot be dated before the last day it bills (%(day)s).")
            % {"day": f"{latest:%d.%m.%Y}"}
        )
    usage_ids = InvoiceLineUsage.objects.filter(line__invoice=invoice).values("usage_id")
    cases = Q()
    for line in lines:
        if line.kind == InvoiceLineKind.WORK:
            cases |= Q(work_ref=line.work_ref, activity=line.activity)
    # A posting of a case on the draft that the draft does not hold (a reversal, or time
    # logged since) would change the case's lines: the draft must be built again.
    # A reversal that the rounding absorbs (no billable minute taken back) changes nothing
    # on the draft; it is never held by a line, so it must not block the draft for good.
    reversals = Usage.objects.filter(reverses__in=usage_ids).exclude(billable_minutes=0)
    if reversals.exclude(pk__in=usage_ids).exists() or (
        cases
        and _unbilled_usages(invoice.period_start, invoice.period_end)
        .filter(cases, customer_id=invoice.customer_id)
        .exists()
    ):
        raise ValidationError(
            _(
                "Time on this draft was corrected after the draft was made; run the period"
                " again to refresh it."
            )
        )
    customer = invoice.customer
    if not (customer.postcode and customer.city):
        raise ValidationError(
            _("The address of customer %(number)s is incomplete (postcode and city are needed).")
            % {"number": customer.number}
        )
    try:
        # The issued invoice copies these texts for good, into its QR-bill too: a control
        # character stored before the input checks existed is corrected now, not found
        # when the PDF cannot be made.
        check_instance_text(customer)
    except ValidationError as exc:
        raise ValidationError(
            _("The data of customer %(number)s must be corrected first: %(error)s")
            % {"number": customer.number, "error": " ".join(exc.messages)}
        ) from exc
    creditor = company()
    _check_company(creditor)
    _refresh_totals(invoice)
    if invoice.total <= 0:
        raise ValidationError(_("The total of this draft is not positive; nothing to invoice."))

    number = invoice_number_next(year=issued_on.year)
    _copy_debtor(invoice, customer)
    fields = {
        name: getattr(invoice, name)
        for name in (
            "language",
            "debtor_number",
            "debtor_name",
            "debtor_street",
            "debtor_house_number",
            "debtor_postcode",
            "debtor_city",
            "debtor_country",
        )
    }
    fields.update(
        status=InvoiceStatus.ISSUED,
        number=number,
        issued_on=issued_on,
        due_on=issued_on + timedelta(days=creditor.payment_term_days),
        issued_by=issued_by,
        vat_rate=invoice.vat_rate,
        creditor_name=creditor.legal_name,
        creditor_street=creditor.street,
        creditor_house_number=creditor.house_number,
        creditor_postcode=creditor.postcode,
        creditor_city=creditor.city,
        creditor_country=creditor.country,
        creditor_vat_number=creditor.vat_number,
        creditor_iban=creditor.iban,
        creditor_email=creditor.email,
        creditor_phone=creditor.phone,
        footer=creditor.footer,
        reference=qr_reference(number) if creditor.is_qr_iban else creditor_reference(number),
    )
    # Numbers follow the dates: no invoice of the year may be dated before the last one.
    latest = (
        Invoice.objects.filter(number__startswith=f"{issued_on.year}-")
        .exclude(pk=invoice.pk)
        .aggregate(latest=Max("issued_on"))["latest"]
    )
    if latest is not None and issued_on < latest:
        raise ValidationError(
            _(
                "Invoice numbers follow the dates: the last invoice of %(year)s is dated"
                " %(day)s; date this one on that day or later."
            )
            % {"year": issued_on.year, "day": f"{latest:%d.%m.%Y}"}
        )
    Invoice.objects.filter(pk=invoice.pk, status=InvoiceStatus.DRAFT).update(**fields)
    Usage.objects.filter(pk__in=usage_ids).mark_invoiced(timezone.now())
    if render_pdf:
        transaction.on_commit(lambda: render_invoice_pdf.enqueue(invoice.pk))
    invoice.refresh_from_db()
    return invoice


@service
@transaction.atomic
def invoice_cancel(
    *, invoice: Invoice, reason: str, issued_by: AbstractBaseUser | None = None
) -> Invoice:
    """Cancel an issued invoice with a credit note (own number, negated lines); returns it.

    The usages of the invoice become unbilled again and its subscription fees can be
    invoiced anew.
    """
    _require_invoice(invoice)
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError(_("Give the reason for the cancellation."))
    if len(reason.strip()) > 200:
        raise ValidationError(_("The reason is text of at most 200 characters."))
    if issued_by is not None and not isinstance(issued_by, get_user_model()):
        raise ValidationError(_("An invoice is issued by a user of the desk."))
    original = _lock_draft(invoice)
    if original.kind == InvoiceKind.CREDIT_NOTE:
        raise ValidationError(_("A credit note cannot be cancelled."))
    if original.status == InvoiceStatus.DRAFT:
        raise ValidationError(_("A draft is not cancelled; discard it instead."))
    if original.status == InvoiceStatus.CANCELLED:
        raise ValidationError(
            _("Invoice %(number)s is already cancelled.") % {"number": original.number}
        )
    today = timezone.localdate()
    snapshot = {
        field.name: getattr(original, field.name)
        for field in Invoice._meta.concrete_fields
        if field.name.startswith(("debtor_", "creditor_"))
        or field.name
        in {
            "customer",
            "period_start",
            "period_end",
            "language",
            "footer",
            "vat_rate",
            "credit_used_minutes",
            "credit_remaining_minutes",
        }
    }
    credit_note = Invoice.objects.create(
        **snapshot,
        kind=InvoiceKind.CREDIT_NOTE,
        status=InvoiceStatus.ISSUED,
        number=invoice_number_next(year=today.year),
        issued_on=today,
        issued_by=issued_by,
        cancels=original,
        reason=reason.strip(),
        net=-original.net,
        vat=-original.vat,
        rounding=-original.rounding,
        total=-original.total,
    )
    negated = []
    for line in original.lines.order_by("position"):
        line.pk = None
        line.invoice = credit_note
        line.charged_minutes = -line.charged_minutes
        line.credit_minutes = -line.credit_minutes
        line.billable_minutes = -line.billable_minutes
        line.amount = -line.amount
        negated.append(line)
    InvoiceLine.objects.bulk_create(negated)
    Invoice.objects.filter(pk=original.pk).transition(
        status=InvoiceStatus.CANCELLED, reason=reason.strip()
    )
    Usage.objects.filter(
        pk__in=InvoiceLineUsage.objects.filter(line__invoice=original).values("usage_id")
    ).mark_invoiced(None)
    transaction.on_commit(lambda: render_invoice_pdf.enqueue(credit_note.pk))
    return credit_note


@service
def invoice_pdf(*, invoice: Invoice) -> bytes:
    """The PDF of an issued invoice or credit note (A4, with the QR-bill on invoices)."""
    from .pdf import invoice_pdf as render

    return render(invoice=invoice)


@service
def invoice_pdf_stored(*, invoice: Invoice) -> Invoice:
    """The invoice with its stored PDF: rendered and stored once, then kept for good.

    The worker calls it after the issue; a download calls it too, so a PDF the worker has
    not rendered yet, or whose file was lost (a restore without the media folder), is
    rendered from the snapshot, which gives the same document.
    """
    _require_invoice(invoice)
    invoice = Invoice.objects.get(pk=invoice.pk)
    if invoice.status == InvoiceStatus.DRAFT:
        raise ValidationError(_("A draft has no PDF yet: issue the invoice first."))
    field = invoice.pdf
    if field and field.storage.exists(field.name):
        return invoice
    name = field.storage.save(
        field.field.generate_filename(invoice, f"{invoice.number}.pdf"),
        ContentFile(invoice_pdf(invoice=invoice)),
    )
    with transaction.atomic():
        stored = Invoice.objects.filter(pk=invoice.pk, pdf=invoice.pdf.name).transition(pdf=name)
    if not stored:  # stored meanwhile by another request or the worker: keep theirs
        field.storage.delete(name)
    invoice.refresh_from_db()
    return invoice


@service(own_checks=("period_start", "period_end"))
@transaction.atomic
def invoice_run_start(
    *, period_start: date, period_end: date, created_by: AbstractBaseUser | None = None
) -> InvoiceRun:
    """Queue a run of :func:`invoice_drafts` for the period; the worker does it after commit."""
    _check_period(period_start, period_end)
    if created_by is not None and not isinstance(created_by, get_user_model()):
        raise ValidationError(_("A run is started by a user of the desk."))
    tariff_in_force(on=period_end)  # a clear error now rather than a failed run later
    # A run the worker has not finished within an hour has died with it: no longer busy.
    busy = InvoiceRun.objects.filter(
        period_start=period_start,
        period_end=period_end,
        status__in=[InvoiceRunStatus.QUEUED, InvoiceRunStatus.RUNNING],
        created_at__gte=timezone.now() - timedelta(hours=1),
    )
    if busy.exists():
        raise ValidationError(_("A run for this period is already under way; wait for it."))
    run = InvoiceRun.objects.create(
        period_start=period_start, period_end=period_end, created_by=created_by
    )
    transaction.on_commit(lambda: run_invoice_drafts.enqueue(run.pk))
    return run
