"""Writes of the billing app: credit grants and the usage ledger (DESIGN §1 R1–R9, R12).

The desk reports work through :func:`record_usage`; a correction is
:func:`usage_reverse`. Grants are derived from the customer model by the ``grant_sync_*``
services, which the signal handlers in ``billing.signals`` call whenever a rental period,
licence or Support+ subscription changes.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.utils.translation import gettext as _

from customers.models import (
    Contact,
    Customer,
    Licence,
    LicenceKind,
    RentalPeriod,
    SupportPlusSubscription,
)

from .models import CreditGrant, GrantSource, InvoiceNumberSequence, Tariff, Usage, UsageDraw
from .rules import allocate, amount_step, charged_minutes
from .selectors import plan_usage, tariff_in_force

# --- credit grants --------------------------------------------------------------------


def _tariff_or_none(on: date) -> Tariff | None:
    try:
        return tariff_in_force(on=on)
    except ValidationError:
        return None  # before the first tariff there is no credit


def _licence_grant_minutes(period: RentalPeriod, main_modules: int) -> tuple[int, Tariff] | None:
    """Minutes a rental period grants (R3), from the tariff in force at its start."""
    if period.licence.kind != LicenceKind.RENTAL:
        return None
    tariff = _tariff_or_none(period.start)
    if tariff is None or period.annual_rent < tariff.credit_threshold:
        return None
    return tariff.credit_minutes(period.licence.variant, main_modules), tariff


def _apply_grant(existing: CreditGrant | None, wanted: dict | None, **source) -> CreditGrant | None:
    if wanted is None:
        if existing is None:
            return None
        if existing.draws.exists():
            # Credit was used already: keep the grant (the ledger points to it) but empty it.
            existing.minutes = 0
            existing.save(update_fields=["minutes", "updated_at"])
            return existing
        existing.delete()
        return None
    if existing is None:
        return CreditGrant.objects.create(**source, **wanted)
    changed = [name for name, value in wanted.items() if getattr(existing, name) != value]
    if changed:
        for name in changed:
            setattr(existing, name, wanted[name])
        existing.save(update_fields=[*changed, "updated_at"])
    return existing


def check_credit_change(*, period=None, licence=None, main_module_count=None) -> None:
    """Refuse a change of a rental period or licence that would take back used credit.

    Registered with ``customers.hooks``; the models' ``clean()`` and the admin call it
    before saving. ``period`` and ``licence`` carry the new, unsaved values.
    """
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
        grant = CreditGrant.objects.filter(rental_period_id=changed.pk).first()
        if grant is None:
            continue
        usage = UsageDraw.objects.filter(grant=grant).aggregate(
            used=Sum("minutes"), first=Min("usage__performed_on"), last=Max("usage__performed_on")
        )
        if not usage["used"]:
            continue
        result = _licence_grant_minutes(changed, main)
        minutes = result[0] if result else 0
        if changed.licence.customer_id != grant.customer_id:
            raise ValidationError(
                _(
                    "Credit of this rental period is already used;"
                    " it cannot move to another customer."
                )
            )
        if minutes < usage["used"]:
            raise ValidationError(
                _(
                    "%(used)s minutes of the credit of the period %(period)s are already used;"
                    " after this change it would grant only %(minutes)s. Correct the usages"
                    " first (reverse them), or leave the period as it is."
                )
                % {"used": usage["used"], "period": changed, "minutes": minutes}
            )
        if usage["first"] < changed.start or usage["last"] > changed.end:
            raise ValidationError(
                _(
                    "Credit of this rental period was used between %(first)s and %(last)s;"
                    " the period must still cover those days."
                )
                % {"first": f"{usage['first']:%d.%m.%Y}", "last": f"{usage['last']:%d.%m.%Y}"}
            )


@transaction.atomic
def grant_sync_for_period(*, period: RentalPeriod) -> CreditGrant | None:
    """Create, update or remove the licence credit grant of one rental period."""
    period = RentalPeriod.objects.select_related("licence").get(pk=period.pk)
    main_modules = period.licence.modules.filter(is_main=True).count()
    result = _licence_grant_minutes(period, main_modules)
    wanted = None
    if result is not None:
        minutes, tariff = result
        wanted = {
            "customer_id": period.licence.customer_id,
            "valid_from": period.start,
            "valid_to": period.end,
            "minutes": minutes,
            "tariff": tariff,
        }
    existing = CreditGrant.objects.filter(rental_period=period).first()
    return _apply_grant(existing, wanted, source=GrantSource.LICENCE, rental_period=period)


@transaction.atomic
def grant_sync_for_licence(*, licence: Licence) -> None:
    """Re-derive the grants of every rental period of a licence (variant or modules changed)."""
    for period in RentalPeriod.objects.filter(licence=licence):
        grant_sync_for_period(period=period)


@transaction.atomic
def grant_sync_for_support_plus(*, subscription: SupportPlusSubscription) -> CreditGrant | None:
    """Create or update the extra credit of a Support+ subscription (R7)."""
    tariff = _tariff_or_none(subscription.start)
    wanted = None
    if tariff is not None:
        wanted = {
            "customer_id": subscription.customer_id,
            "valid_from": subscription.start,
            "valid_to": subscription.end,
            "minutes": tariff.support_plus_extra_minutes,
            "tariff": tariff,
        }
    existing = CreditGrant.objects.filter(support_plus=subscription).first()
    return _apply_grant(
        existing, wanted, source=GrantSource.SUPPORT_PLUS, support_plus=subscription
    )


@transaction.atomic
def grants_sync_all(*, customers=None) -> int:
    """Derive every missing grant in bulk (after bulk imports); returns how many were added.

    Existing grants are left as they are; use the ``grant_sync_*`` services for changes.
    """
    tariffs: dict[date, Tariff | None] = {}

    def tariff_on(day: date) -> Tariff | None:
        if day not in tariffs:
            tariffs[day] = _tariff_or_none(day)
        return tariffs[day]

    periods = (
        RentalPeriod.objects.filter(licence__kind=LicenceKind.RENTAL, credit_grant__isnull=True)
        .select_related("licence")
        .annotate(main_modules=Count("licence__modules", filter=Q(licence__modules__is_main=True)))
    )
    subscriptions = SupportPlusSubscription.objects.filter(credit_grant__isnull=True)
    if customers is not None:
        periods = periods.filter(licence__customer__in=customers)
        subscriptions = subscriptions.filter(customer__in=customers)
    new = []
    for period in periods.iterator(chunk_size=2000):
        tariff = tariff_on(period.start)
        if tariff is None or period.annual_rent < tariff.credit_threshold:
            continue
        new.append(
            CreditGrant(
                customer_id=period.licence.customer_id,
                source=GrantSource.LICENCE,
                rental_period=period,
                valid_from=period.start,
                valid_to=period.end,
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
    performed_by=None,
) -> Usage:
    """Post work to the ledger: charged minutes (R5) drawn from credit (R8), the rest billable.

    The customer's row is locked while posting, so two desks logging time at once can never
    spend the same credit minute twice.
    """
    work_ref = _check_work_ref(work_ref)
    if not isinstance(label, str) or len(label) > 200:
        raise ValidationError(_("The label is text of at most 200 characters."))
    if performed_by is not None and not isinstance(performed_by, get_user_model()):
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
