"""Writes on customers, licences and subscriptions (the ``customers`` part of DESIGN §2).

Every service validates fully and raises ``ValidationError`` with a message a desk employee
understands; nothing is saved when it does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, Max
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from q3helpdesk.guards import service
from q3helpdesk.locks import advisory_lock

from .credit import ledger
from .models import (
    Contact,
    Customer,
    HalfFareSubscription,
    Licence,
    LicenceVariant,
    Module,
    RentalPeriod,
    SupportPlusRegistration,
    SupportPlusSubscription,
    half_fare_spans,
    spans_cover,
    support_plus_rental_spans,
)

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


def _text(value, label: str, max_length: int | None = None) -> str:
    """Text input, stripped; ``None`` is empty; anything else is refused, not coerced.

    With ``max_length`` (the column's), longer text is refused with the field's name.
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(_("%(field)s must be text.") % {"field": label})
    value = value.strip()
    if max_length is not None and len(value) > max_length:
        raise ValidationError(
            _("%(field)s has at most %(max)s characters.") % {"field": label, "max": max_length}
        )
    return value


def _max_length(model, field: str) -> int:
    return model._meta.get_field(field).max_length


def _next_customer_number() -> str:
    highest = Customer.objects.aggregate(n=Max(Cast("number", output_field=BigIntegerField())))["n"]
    return str(max(FIRST_CUSTOMER_NUMBER, (highest or 0) + 1))


@service
@transaction.atomic
def customer_create(
    *,
    name: str,
    number: str | int | None = None,
    street: str | None = "",
    house_number: str | None = "",
    postcode: str | None = "",
    city: str | None = "",
    country: str | None = "CH",
    language: str | None = "fr",
    email: str | None = "",
    phone: str | None = "",
) -> Customer:
    """Create a customer; without ``number`` the next free customer number is assigned."""
    if number is None:
        advisory_lock("customers.customer_number")
        number = _next_customer_number()
    # Free text is checked against its column here (with the field's name in the message);
    # coded values (number, country, language, phone) get their own messages from full_clean.
    customer = Customer(
        number=str(number) if isinstance(number, int) else _text(number, _("The number")),
        name=_text(name, _("The name"), _max_length(Customer, "name")),
        street=_text(street, _("The street"), _max_length(Customer, "street")),
        house_number=_text(
            house_number, _("The house number"), _max_length(Customer, "house_number")
        ),
        postcode=_text(postcode, _("The postcode"), _max_length(Customer, "postcode")),
        city=_text(city, _("The city"), _max_length(Customer, "city")),
        country=_text(country, _("The country")).upper(),
        language=_text(language, _("The language")),
        email=_text(email, _("The e-mail address"), _max_length(Customer, "email")),
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


def _contact_fields(*, name, email, phone, role, language) -> dict:
    return {
        "name": _text(name, _("The name"), _max_length(Contact, "name")),
        "email": _text(email, _("The e-mail address"), _max_length(Contact, "email")),
        "phone": _text(phone, _("The phone number")),
        "role": _text(role, _("The role"), _max_length(Contact, "role")),
        "language": _text(language, _("The language")),
    }


@service
@transaction.atomic
def contact_create(
    *,
    customer: Customer,
    name: str,
    email: str | None = "",
    phone: str | None = "",
    role: str | None = "",
    language: str | None = "",
) -> Contact:
    """Add a contact person to a customer; an empty ``language`` means the customer's."""
    _require_saved(customer, Customer, _("Choose an existing customer."))
    contact = Contact(
        customer=customer,
        **_contact_fields(name=name, email=email, phone=phone, role=role, language=language),
    )
    contact.full_clean()
    contact.save()
    return contact


@service
@transaction.atomic
def contact_update(
    *,
    contact: Contact,
    name: str,
    email: str | None = "",
    phone: str | None = "",
    role: str | None = "",
    language: str | None = "",
) -> Contact:
    """Change a contact person's name, role, e-mail, phone or language.

    The contact stays with its customer (and its Support+ registrations with it).
    """
    _require_saved(contact, Contact, _("Choose an existing contact."))
    fields = _contact_fields(name=name, email=email, phone=phone, role=role, language=language)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    for attribute, value in fields.items():
        setattr(contact, attribute, value)
    contact.full_clean()
    contact.save()
    return contact


@service
@transaction.atomic
def customer_create_with_contact(*, contact: dict | None = None, **customer_fields) -> Customer:
    """Create a customer (see :func:`customer_create`) and, when ``contact`` names someone,
    its first contact (the caller) with the keywords of :func:`contact_create`; both or
    neither are saved."""
    if contact is not None and (
        not isinstance(contact, dict)
        or not set(contact) <= {"name", "email", "phone", "role", "language"}
    ):
        raise ValidationError(
            _("Give the first contact as name, e-mail, phone, role and language.")
        )
    customer = customer_create(**customer_fields)
    if contact and any(str(value or "").strip() for value in contact.values()):
        try:
            contact_create(customer=customer, **contact)
        except ValidationError as exc:
            raise ValidationError(
                [_("First contact: %(error)s") % {"error": m} for m in exc.messages]
            ) from exc
    return customer


def _modules(modules) -> list[Module]:
    """The modules of the codes ``modules`` (such as ``["COFI", "SAL"]``), in that order."""
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
    return [found[code] for code in codes]


@service(own_checks=("modules",))
@transaction.atomic
def licence_create(
    *, customer: Customer, variant: str, modules: list[str], kind: str = "rental"
) -> Licence:
    """Create a licence with its modules (codes such as ``["COFI", "SAL"]``)."""
    _require_saved(customer, Customer, _("Choose an existing customer."))
    chosen = _modules(modules)
    licence = Licence(customer=customer, variant=variant, kind=kind)
    licence.full_clean()
    licence.save()
    licence.modules.set(chosen)
    return licence


def _require_rent(annual_rent) -> None:
    if isinstance(annual_rent, float | bool) or not isinstance(annual_rent, Decimal | int | str):
        raise ValidationError(_("Give the annual rent as an exact amount, for example 480.00."))


@service
@transaction.atomic
def rental_period_create(
    *, licence: Licence, start: date, end: date, annual_rent: Decimal
) -> RentalPeriod:
    """Add a rental period to a rental licence; periods of one licence never overlap."""
    _require_saved(licence, Licence, _("Choose an existing licence."))
    start, end = _require_span(start, end)
    _require_rent(annual_rent)
    # Lock the licence so that two desks cannot add overlapping periods at once.
    licence = Licence.objects.select_for_update().get(pk=licence.pk)
    period = RentalPeriod(licence=licence, start=start, end=end, annual_rent=annual_rent)
    period.full_clean()
    period.save()
    ledger().sync(period=period)
    return period


@service
@transaction.atomic
def rental_period_update(
    *, period: RentalPeriod, start: date, end: date, annual_rent: Decimal
) -> RentalPeriod:
    """Change the dates or the rent of a rental period.

    Refused when the periods of the licence would overlap, when credit already used would
    be taken back, or when a Support+ subscription of the customer would lose its profi or
    premium rental period on some day of its term (R7).
    """
    _require_saved(period, RentalPeriod, _("Choose an existing rental period."))
    start, end = _require_span(start, end)
    _require_rent(annual_rent)
    # The customer first (as Support+ takes it), then the licence (as a new period does).
    licence = Licence.objects.get(pk=period.licence_id)
    Customer.objects.select_for_update().get(pk=licence.customer_id)
    Licence.objects.select_for_update().get(pk=licence.pk)
    period = RentalPeriod.objects.select_related("licence").get(pk=period.pk)
    period.start, period.end, period.annual_rent = start, end, annual_rent
    period.full_clean()
    ledger().check_change(period=period)
    period.save()
    ledger().sync(period=period)
    return period


@service(own_checks=("modules",))
@transaction.atomic
def licence_update(*, licence: Licence, variant: str, modules: list[str] | None = None) -> Licence:
    """Change the variant of a licence (an upgrade, or a downgrade to standard or advanced)
    and, when given, its modules (codes); the credit of its periods follows (R3).

    Refused when credit already used would be taken back, or when a Support+ subscription
    of the customer would lose its profi or premium licence on some day of its term (R7).
    """
    _require_saved(licence, Licence, _("Choose an existing licence."))
    if variant not in LicenceVariant.values:
        raise ValidationError(
            _("Choose the variant: %(variants)s.")
            % {"variants": ", ".join(str(label) for label in LicenceVariant.labels)}
        )
    chosen = None if modules is None else _modules(modules)
    Customer.objects.select_for_update().get(pk=licence.customer_id)
    licence = Licence.objects.select_for_update().get(pk=licence.pk)
    licence.variant = variant
    licence.full_clean()
    main = None if chosen is None else sum(1 for m in chosen if m.is_main)
    ledger().check_change(licence=licence, main_module_count=main)
    licence.save()
    if chosen is not None:
        licence.modules.set(chosen)
    ledger().sync(licence=licence)
    return licence


@service(allow_unsaved=("period", "licence"))
def credit_change_check(
    *,
    period: RentalPeriod | None = None,
    licence: Licence | None = None,
    main_module_count: int | None = None,
) -> None:
    """Raise ``ValidationError`` when this change of a rental period or a licence (the
    objects carry their new, unsaved values; ``main_module_count`` the modules about to be
    saved) would take back support credit already used. Writes nothing; the admin's forms
    ask it before they save."""
    ledger().check_change(period=period, licence=licence, main_module_count=main_module_count)


@service
@transaction.atomic
def licence_credit_sync(*, licence: Licence) -> None:
    """Derive the credit of a licence's rental periods again after the admin saved the
    licence with its modules and periods (the other writes sync themselves)."""
    ledger().sync(licence=licence)


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
