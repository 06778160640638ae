"""Support+ over its whole term (R7): a change to a rental period, a licence or a half-fare
subscription is refused when a Support+ subscription would lose what it relies on."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .licences import SUPPORT_PLUS_VARIANTS, Licence, LicenceKind, RentalPeriod
from .spans import Span, format_span, newly_uncovered
from .subscriptions import HalfFareSubscription, SupportPlusSubscription


def _qualifies(licence: Licence) -> bool:
    return licence.kind == LicenceKind.RENTAL and licence.variant in SUPPORT_PLUS_VARIANTS


def support_plus_rental_spans(customer_id: int) -> list[Span]:
    """The saved rental periods of the customer's profi and premium rental licences."""
    return list(
        RentalPeriod.objects.filter(
            licence__customer_id=customer_id,
            licence__kind=LicenceKind.RENTAL,
            licence__variant__in=SUPPORT_PLUS_VARIANTS,
        ).values_list("start", "end")
    )


def half_fare_spans(customer_id: int) -> list[Span]:
    """The saved half-fare subscriptions of the customer."""
    return list(
        HalfFareSubscription.objects.filter(customer_id=customer_id).values_list("start", "end")
    )


def _rental_spans_before_after(
    customer_id: int,
    periods: list[RentalPeriod],
    deleted: list[RentalPeriod],
    licence: Licence | None,
) -> tuple[list[Span], list[Span]]:
    """Profi/premium rental spans of the customer as saved, and with the candidate values."""
    replaced = {p.pk for p in (*periods, *deleted) if p.pk is not None}
    saved_owner: dict[int, Licence] = {}
    before, after = [], []
    for row in RentalPeriod.objects.filter(licence__customer_id=customer_id).select_related(
        "licence"
    ):
        saved_owner[row.pk] = row.licence
        if _qualifies(row.licence):
            before.append((row.start, row.end))
        if row.pk not in replaced:
            after.append((row.start, row.end, row.licence))
    for period in periods:
        # A saved period is judged with its saved licence (a change of the licence is judged
        # through ``licence``), so that each change is reported once, where it is made.
        owner = saved_owner.get(period.pk)
        if owner is None:
            try:
                owner = period.licence
            except Licence.DoesNotExist:  # the unsaved licence of an admin "add" page
                continue
        after.append((period.start, period.end, owner))
    kept = []
    for start, end, owner in after:
        if licence is not None and licence.pk is not None and licence.pk == owner.pk:
            owner = licence
        if owner.customer_id == customer_id and _qualifies(owner):
            kept.append((start, end))
    return before, kept


def _half_fare_spans_before_after(
    customer_id: int, changed: list[HalfFareSubscription], deleted: list[HalfFareSubscription]
) -> tuple[list[Span], list[Span]]:
    replaced = {h.pk for h in (*changed, *deleted) if h.pk is not None}
    rows = HalfFareSubscription.objects.filter(customer_id=customer_id).values_list(
        "pk", "start", "end"
    )
    before = [(start, end) for _pk, start, end in rows]
    after = [(start, end) for pk, start, end in rows if pk not in replaced]
    after += [(h.start, h.end) for h in changed if h.customer_id == customer_id]
    return before, after


def check_support_plus_kept(
    *,
    periods: Iterable[RentalPeriod] = (),
    deleted_periods: Iterable[RentalPeriod] = (),
    licence: Licence | None = None,
    half_fares: Iterable[HalfFareSubscription] = (),
    deleted_half_fares: Iterable[HalfFareSubscription] = (),
) -> None:
    """Refuse a change after which a Support+ subscription would no longer meet R7.

    The arguments carry the candidate rows: saved rows with their new values (replacing
    what is saved), new rows, rows about to be deleted. Every Support+ subscription of the
    customers concerned, past ones included, must keep a profi or premium rental period on
    each day of its term, and a half-fare subscription on each day when it registers more
    than one person. Raises ``ValidationError`` saying what to do first.
    """
    periods, deleted_periods = list(periods), list(deleted_periods)
    half_fares, deleted_half_fares = list(half_fares), list(deleted_half_fares)
    period_pks = {p.pk for p in (*periods, *deleted_periods) if p.pk is not None}
    half_fare_pks = {h.pk for h in (*half_fares, *deleted_half_fares) if h.pk is not None}
    rental_changed = bool(period_pks) or (licence is not None and licence.pk is not None)
    # The customers that may lose something: the owners of the rows as saved.
    customers: set[int] = set()
    if period_pks:
        customers |= set(
            RentalPeriod.objects.filter(pk__in=period_pks).values_list(
                "licence__customer_id", flat=True
            )
        )
    if licence is not None and licence.pk is not None:
        customers |= set(
            Licence.objects.filter(pk=licence.pk).values_list("customer_id", flat=True)
        )
    if half_fare_pks:
        customers |= set(
            HalfFareSubscription.objects.filter(pk__in=half_fare_pks).values_list(
                "customer_id", flat=True
            )
        )
    for customer_id in sorted(customers):
        subscriptions = list(
            SupportPlusSubscription.objects.filter(customer_id=customer_id)
            .annotate(persons=Count("registrations"))
            .order_by("start")
        )
        if not subscriptions:
            continue
        if rental_changed:
            before, after = _rental_spans_before_after(
                customer_id, periods, deleted_periods, licence
            )
            for subscription in subscriptions:
                day = newly_uncovered(before, after, subscription.start, subscription.end)
                if day is not None and licence is not None and licence.pk is not None:
                    # The variant belongs to the licence, so to all of its periods, past ones
                    # too: a downgrade is a new licence, not an edit of the old one.
                    raise ValidationError(
                        _(
                            "The Support+ subscription %(subscription)s relies on this"
                            " licence's variant on %(day)s. The variant applies to every"
                            " rental period of the licence, past ones too: to move to a lower"
                            " variant, end this licence's rental period (and the Support+"
                            " subscription with it) and enter the new variant as a new"
                            " licence from the next day."
                        )
                        % {
                            "subscription": format_span(subscription.start, subscription.end),
                            "day": f"{day:%d.%m.%Y}",
                        }
                    )
                if day is not None:
                    raise ValidationError(
                        _(
                            "This change would leave the Support+ subscription %(subscription)s"
                            " without a profi or premium rental period on %(day)s: end or"
                            " shorten the Support+ subscription first."
                        )
                        % {
                            "subscription": format_span(subscription.start, subscription.end),
                            "day": f"{day:%d.%m.%Y}",
                        }
                    )
        shared = [s for s in subscriptions if s.persons > 1]
        if half_fare_pks and shared:
            before, after = _half_fare_spans_before_after(
                customer_id, half_fares, deleted_half_fares
            )
            for subscription in shared:
                day = newly_uncovered(before, after, subscription.start, subscription.end)
                if day is not None:
                    raise ValidationError(
                        _(
                            "This change would leave the Support+ subscription %(subscription)s"
                            " and its additional registered persons without a half-fare"
                            " subscription on %(day)s: end or shorten the Support+"
                            " subscription first."
                        )
                        % {
                            "subscription": format_span(subscription.start, subscription.end),
                            "day": f"{day:%d.%m.%Y}",
                        }
                    )
