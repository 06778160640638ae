"""Credit grants (R3, R7): derived from rental periods, licences and Support+ subscriptions.

The ``grant_sync_*`` services are called by the customers services (through
``billing.credit_ledger``) whenever they change a rental period, licence or Support+
subscription; ``check_credit_change`` refuses a change that would take back credit
already used.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import TypedDict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from customers.models import Customer, Licence, LicenceKind, RentalPeriod, SupportPlusSubscription
from q3helpdesk.guards import service

from ..models import CreditGrant, GrantSource, Tariff, UsageDraw
from ..rules import rental_years
from ._common import _tariff_or_none


class WantedGrant(TypedDict):
    """The values a grant should have: those of a new one, or the changes to an old one."""

    customer_id: int
    valid_from: date
    valid_to: date
    minutes: int
    tariff: Tariff


def _licence_grants_wanted(period: RentalPeriod, main_modules: int) -> list[WantedGrant]:
    """The grants a rental period gives (R3): one per rental year whose annual rent reaches
    the threshold of the tariff in force at that year's start, with that tariff's minutes.

    A last part shorter than a year is a rental year too and gets the full credit, as a
    period shorter than a year always has (the concept grants credit per rental year and
    knows no fractions of it).
    """
    if period.licence.kind != LicenceKind.RENTAL:
        return []
    wanted: list[WantedGrant] = []
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


def _pair_grants(
    existing: list[CreditGrant], wanted: list[WantedGrant]
) -> list[tuple[CreditGrant | None, WantedGrant | None]]:
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
        year = next(
            (
                i
                for i, w in enumerate(years)
                if i not in pairs and w["valid_from"] <= day <= w["valid_to"]
            ),
            None,
        )
        if year is not None:
            pairs[year] = grant
            free.remove(grant)
    rest = iter(free)
    for i in range(len(years)):
        if i not in pairs:
            spare = next(rest, None)
            if spare is not None:
                pairs[i] = spare
    result: list[tuple[CreditGrant | None, WantedGrant | None]] = [
        (pairs.get(i), want) for i, want in enumerate(years)
    ]
    result += [(grant, None) for grant in rest]
    return result


def _check_grant_keeps_its_draws(
    grant: CreditGrant, wanted: WantedGrant | None, source: RentalPeriod | SupportPlusSubscription
) -> None:
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
    assert wanted is not None  # none wanted: refused above, as 0 minutes < the minutes used
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


def _support_plus_grant_wanted(subscription: SupportPlusSubscription) -> WantedGrant | None:
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

    The customers services and the admin's forms call it (through
    ``billing.credit_ledger``) before saving. The arguments carry the new, unsaved values.
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
    kept: list[CreditGrant] = []
    for grant, want in pairs:  # years that are gone first: they free their first days
        if want is not None:
            continue
        assert grant is not None  # (grant, None): a grant whose year is gone
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
            changed = {name: value for name, value in want.items() if getattr(grant, name) != value}
            if changed:
                for name, value in changed.items():
                    setattr(grant, name, value)
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
    changed = {name: value for name, value in wanted.items() if getattr(existing, name) != value}
    if changed:
        for name, value in changed.items():
            setattr(existing, name, value)
        existing.save(update_fields=[*changed, "updated_at"])
    return existing


@service
@transaction.atomic
def grants_sync_all(*, customers: Iterable[Customer] | None = None) -> int:
    """Derive every missing grant in bulk (after bulk imports); returns how many were added.

    ``customers``: only theirs. The queries do not grow with the rows (one tariff look-up
    per rental year's first day).

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
    if new:
        # Each with its history record ("created"), as the grant_sync_* services leave one.
        bulk_create_with_history(new, CreditGrant, batch_size=2000)
    return len(new)
