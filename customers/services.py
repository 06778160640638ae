"""Writes on customers, licences and subscriptions (the ``customers`` part of DESIGN §2).

Every service validates fully and raises ``ValidationError`` with a message a desk employee
understands; nothing is saved when it does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, Max
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from .hooks import support_plus_capacity
from .locks import advisory_lock
from .models import (
    SUPPORT_PLUS_VARIANTS,
    Contact,
    Customer,
    HalfFareSubscription,
    Licence,
    Module,
    RentalPeriod,
    SupportPlusRegistration,
    SupportPlusSubscription,
)
from .selectors import support_status

FIRST_CUSTOMER_NUMBER = 10001


def _require_date(value, label: str) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationError(_("%(field)s must be a date.") % {"field": label})
    return value


def _require_saved(obj, model, message: str):
    """An existing row of ``model``; anything else (None, another model, unsaved) is refused."""
    if not isinstance(obj, model) or obj.pk is None:
        raise ValidationError(message)
    return obj


def _require_span(start, end) -> tuple[date, date]:
    start = _require_date(start, _("The start"))
    end = _require_date(end, _("The end"))
    if end < start:
        raise ValidationError(_("The end date cannot be before the start date."))
    return start, end


def _text(value, label: str) -> str:
    """Text input, stripped; ``None`` is empty; anything else is refused, not coerced."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(_("%(field)s must be text.") % {"field": label})
    return value.strip()


def _next_customer_number() -> str:
    highest = Customer.objects.aggregate(n=Max(Cast("number", output_field=BigIntegerField())))["n"]
    return str(max(FIRST_CUSTOMER_NUMBER, (highest or 0) + 1))


@transaction.atomic
def customer_create(
    *,
    name: str,
    number: str | None = None,
    street: str = "",
    house_number: str = "",
    postcode: str = "",
    city: str = "",
    country: str = "CH",
    language: str = "fr",
    email: str = "",
    phone: str = "",
) -> Customer:
    """Create a customer; without ``number`` the next free customer number is assigned."""
    if number is None:
        advisory_lock("customers.customer_number")
        number = _next_customer_number()
    customer = Customer(
        number=str(number) if isinstance(number, int) else _text(number, _("The number")),
        name=_text(name, _("The name")),
        street=_text(street, _("The street")),
        house_number=_text(house_number, _("The house number")),
        postcode=_text(postcode, _("The postcode")),
        city=_text(city, _("The city")),
        country=_text(country, _("The country")).upper(),
        language=_text(language, _("The language")),
        email=_text(email, _("The e-mail address")),
        phone=_text(phone, _("The phone number")),
    )
    customer.full_clean()
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError as exc:  # another desk took the same number a moment ago
        raise ValidationError(
            _("The customer number %(number)s is already taken.") % {"number": customer.number}
        ) from exc
    return customer


@transaction.atomic
def contact_create(*, customer: Customer, name: str, email: str = "", phone: str = "") -> Contact:
    """Add a contact person to a customer."""
    _require_saved(customer, Customer, _("Choose an existing customer."))
    contact = Contact(
        customer=customer,
        name=_text(name, _("The name")),
        email=_text(email, _("The e-mail address")),
        phone=_text(phone, _("The phone number")),
    )
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def licence_create(
    *, customer: Customer, variant: str, modules: list[str], kind: str = "rental"
) -> Licence:
    """Create a licence with its modules (codes such as ``["COFI", "SAL"]``)."""
    _require_saved(customer, Customer, _("Choose an existing customer."))
    if isinstance(modules, str) or not isinstance(modules, Sequence):
        raise ValidationError(_("Give the modules as a list of module codes."))
    codes = [str(code).strip().upper() for code in modules]
    if not codes:
        raise ValidationError(_("A licence needs at least one module."))
    if len(set(codes)) != len(codes):
        raise ValidationError(_("Each module can be listed only once."))
    found = {m.code: m for m in Module.objects.filter(code__in=codes)}
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise ValidationError(
            _("Unknown module code(s): %(codes)s.") % {"codes": ", ".join(unknown)}
        )
    licence = Licence(customer=customer, variant=variant, kind=kind)
    licence.full_clean()
    licence.save()
    licence.modules.set([found[code] for code in codes])
    return licence


@transaction.atomic
def rental_period_create(
    *, licence: Licence, start: date, end: date, annual_rent: Decimal
) -> RentalPeriod:
    """Add a rental period to a rental licence; periods of one licence never overlap."""
    _require_saved(licence, Licence, _("Choose an existing licence."))
    start, end = _require_span(start, end)
    if isinstance(annual_rent, float | bool) or not isinstance(annual_rent, Decimal | int | str):
        raise ValidationError(_("Give the annual rent as an exact amount, for example 480.00."))
    # Lock the licence so that two desks cannot add overlapping periods at once.
    licence = Licence.objects.select_for_update().get(pk=licence.pk)
    period = RentalPeriod(licence=licence, start=start, end=end, annual_rent=annual_rent)
    period.full_clean()
    period.save()
    return period


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


def _one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def support_plus_check(
    *, customer: Customer, start: date, end: date, registered: list[Contact]
) -> None:
    """Raise ``ValidationError`` unless the Support+ subscription may be taken (R7).

    The customer needs a current profi or premium rental licence on the start day, every
    registered person must be one of its contacts, persons after the first need an active
    half-fare subscription, the customer may not already have Support+ for those days, and
    the capacity of the tariff in force must not be reached. A subscription lasts at most
    one year. Writes nothing; :func:`support_plus_subscribe` calls it under a lock.
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

    status = support_status(customer=customer, on=start)
    if not status.eligible or status.variant not in SUPPORT_PLUS_VARIANTS:
        raise ValidationError(
            _(
                "Support+ is only for customers with a current profi or premium rental"
                " licence on %(day)s."
            )
            % {"day": f"{start:%d.%m.%Y}"}
        )
    if len(registered) > 1 and status.half_fare is None:
        raise ValidationError(
            _(
                "Additional registered persons require an active half-fare subscription;"
                " register one person or subscribe to half-fare first."
            )
        )
    clash = SupportPlusSubscription.objects.filter(
        customer=customer, start__lte=end, end__gte=start
    ).first()
    if clash is not None:
        raise ValidationError(
            _("The customer already has a Support+ subscription from %(start)s to %(end)s.")
            % {"start": f"{clash.start:%d.%m.%Y}", "end": f"{clash.end:%d.%m.%Y}"}
        )
    capacity = support_plus_capacity(on=start)
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
    return subscription
