"""Subscriptions: half-fare (R6) and Support+ (R7) — taking, changing and ending them."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from q3helpdesk.guards import service
from q3helpdesk.locks import advisory_lock

from ..credit import ledger
from ..models import (
    Contact,
    Customer,
    HalfFareSubscription,
    SupportPlusRegistration,
    SupportPlusSubscription,
    half_fare_spans,
    spans_cover,
    support_plus_rental_spans,
)
from ._common import _require_date, _require_saved, _require_span


@service
@transaction.atomic
def half_fare_subscribe(*, customer: Customer, start: date, end: date) -> HalfFareSubscription:
    """Record a half-fare subscription; subscriptions of one customer never overlap."""
    _require_saved(customer, Customer, _("Choose an existing customer."))
    start, end = _require_span(start, end)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    subscription = HalfFareSubscription(customer=customer, start=start, end=end)
    subscription.full_clean()
    subscription.save()
    return subscription


@service
@transaction.atomic
def half_fare_update(
    *, subscription: HalfFareSubscription, start: date, end: date
) -> HalfFareSubscription:
    """Change the term of a half-fare subscription (end it early, extend it).

    Refused when it would overlap another one of the customer, or when a Support+
    subscription with additional registered persons would lose its half-fare on some day
    of its term (R7).
    """
    _require_saved(
        subscription, HalfFareSubscription, _("Choose an existing half-fare subscription.")
    )
    start, end = _require_span(start, end)
    Customer.objects.select_for_update().get(pk=subscription.customer_id)
    subscription = HalfFareSubscription.objects.get(pk=subscription.pk)
    subscription.start, subscription.end = start, end
    subscription.full_clean()
    subscription.save()
    return subscription


def _one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


@service(own_checks=("registered",))
def support_plus_check(
    *, customer: Customer, start: date, end: date, registered: list[Contact]
) -> None:
    """Raise ``ValidationError`` unless the Support+ subscription may be taken (R7).

    Every day of the term must lie in a rental period of the customer's profi or premium
    rental licences (periods that follow each other without a gap count together), every
    registered person must be one of its contacts, persons after the first need a half-fare
    subscription on every day of the term, the customer may not already have Support+ for
    those days, and the capacity of the tariff in force must not be reached. A subscription
    lasts at most one year. Writes nothing; :func:`support_plus_subscribe` calls it under a
    lock.
    """
    _require_saved(customer, Customer, _("Choose an existing customer."))
    start, end = _require_span(start, end)
    if end >= _one_year_after(start):
        raise ValidationError(_("A Support+ subscription lasts at most one year."))
    if not isinstance(registered, list | tuple):
        raise ValidationError(_("Give the registered persons as a list of contacts."))
    if not registered:
        raise ValidationError(_("Register at least one person for Support+."))
    if any(not isinstance(c, Contact) or c.pk is None for c in registered):
        raise ValidationError(_("Registered persons must be contacts of the customer."))
    if len({c.pk for c in registered}) != len(registered):
        raise ValidationError(_("Each person can be registered only once."))
    if any(c.customer_id != customer.pk for c in registered):
        raise ValidationError(_("Only contacts of this customer can be registered for Support+."))

    gap = spans_cover(support_plus_rental_spans(customer.pk), start, end)
    if gap == start:
        raise ValidationError(
            _(
                "Support+ is only for customers with a current profi or premium rental"
                " licence on %(day)s."
            )
            % {"day": f"{start:%d.%m.%Y}"}
        )
    if gap is not None:
        raise ValidationError(
            _(
                "Support+ needs a current profi or premium rental licence for its whole term,"
                " but no rental period covers %(day)s: let the subscription end on %(last)s"
                " at the latest, or enter the following rental period first."
            )
            % {"day": f"{gap:%d.%m.%Y}", "last": f"{gap - timedelta(days=1):%d.%m.%Y}"}
        )
    if len(registered) > 1:
        gap = spans_cover(half_fare_spans(customer.pk), start, end)
        if gap == start:
            raise ValidationError(
                _(
                    "Additional registered persons require an active half-fare subscription;"
                    " register one person or subscribe to half-fare first."
                )
            )
        if gap is not None:
            raise ValidationError(
                _(
                    "Additional registered persons require a half-fare subscription for the"
                    " whole term, but none covers %(day)s: register one person, let the"
                    " subscription end on %(last)s at the latest, or extend the half-fare"
                    " subscription first."
                )
                % {"day": f"{gap:%d.%m.%Y}", "last": f"{gap - timedelta(days=1):%d.%m.%Y}"}
            )
    clash = SupportPlusSubscription.objects.filter(
        customer=customer, start__lte=end, end__gte=start
    ).first()
    if clash is not None:
        raise ValidationError(
            _("The customer already has a Support+ subscription from %(start)s to %(end)s.")
            % {"start": f"{clash.start:%d.%m.%Y}", "end": f"{clash.end:%d.%m.%Y}"}
        )
    capacity = ledger().support_plus_capacity(on=start)
    if _most_running_at_once(start, end) >= capacity:
        raise ValidationError(
            _(
                "Support+ is full: all %(capacity)s places are taken for this period."
                " Note the customer on the waiting list."
            )
            % {"capacity": capacity}
        )


def _most_running_at_once(start: date, end: date) -> int:
    """The most Support+ subscriptions running on any one day of ``start``–``end``."""
    spans = list(
        SupportPlusSubscription.objects.filter(start__lte=end, end__gte=start).values_list(
            "start", "end"
        )
    )
    # The count can only rise on a day some subscription starts (or on ``start`` itself).
    days = {start} | {s for s, _e in spans if s > start}
    return max((sum(1 for s, e in spans if s <= day <= e) for day in days), default=0)


@service(own_checks=("registered",))
@transaction.atomic
def support_plus_subscribe(
    *, customer: Customer, start: date, end: date, registered: list[Contact]
) -> SupportPlusSubscription:
    """Subscribe a customer to Support+ with its registered persons (R7).

    The rules are those of :func:`support_plus_check`. The capacity counts across all
    customers, so every Support+ subscription is serialised by one lock.
    """
    _require_saved(customer, Customer, _("Choose an existing customer."))
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    advisory_lock("customers.support_plus_capacity")
    support_plus_check(customer=customer, start=start, end=end, registered=registered)
    subscription = SupportPlusSubscription(customer=customer, start=start, end=end)
    subscription.full_clean()
    subscription.save()
    for position, contact in enumerate(registered, start=1):
        SupportPlusRegistration.objects.create(
            subscription=subscription, contact=contact, position=position
        )
    ledger().sync(support_plus=subscription)
    return subscription


@service
def support_plus_end_check(*, subscription: SupportPlusSubscription, end: date) -> None:
    """Raise ``ValidationError`` unless the subscription may end on ``end`` instead (R7).

    Only shortening: a longer term is a new subscription, taken under every R7 rule. The
    extra credit must still cover the days it was used on. Writes nothing.
    """
    _require_saved(
        subscription, SupportPlusSubscription, _("Choose an existing Support+ subscription.")
    )
    end = _require_date(end, _("The end"))
    saved = SupportPlusSubscription.objects.get(pk=subscription.pk)
    if end < saved.start:
        raise ValidationError(_("The end date cannot be before the start date."))
    if end > saved.end:
        raise ValidationError(
            _(
                "A Support+ subscription can only be shortened (it ends on %(end)s); for a"
                " longer term take a new subscription."
            )
            % {"end": f"{saved.end:%d.%m.%Y}"}
        )
    saved.end = end
    ledger().check_change(support_plus=saved)


@service
@transaction.atomic
def support_plus_end(
    *, subscription: SupportPlusSubscription, end: date
) -> SupportPlusSubscription:
    """End a Support+ subscription early, e.g. before the licence ends or is downgraded (R7).

    Its extra credit ends with it (refused while work after ``end`` drew on it). A fee
    already invoiced stays as invoiced; a refund is a cancellation of that invoice.
    """
    _require_saved(
        subscription, SupportPlusSubscription, _("Choose an existing Support+ subscription.")
    )
    Customer.objects.select_for_update().get(pk=subscription.customer_id)
    support_plus_end_check(subscription=subscription, end=end)
    subscription = SupportPlusSubscription.objects.get(pk=subscription.pk)
    subscription.end = end
    subscription.full_clean()
    subscription.save(update_fields=["end"])
    ledger().sync(support_plus=subscription)
    return subscription
