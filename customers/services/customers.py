"""Customers and their contact persons: creating them (with the next free number) and
changing them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, Max
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from q3helpdesk.guards import service
from q3helpdesk.locks import advisory_lock

from ..models import Contact, Customer
from ._common import _max_length, _require_saved, _text

FIRST_CUSTOMER_NUMBER = 10001


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
    customer = _customer_unsaved(
        number=number,
        name=name,
        street=street,
        house_number=house_number,
        postcode=postcode,
        city=city,
        country=country,
        language=language,
        email=email,
        phone=phone,
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


def _customer_unsaved(*, number: str | int, **fields) -> Customer:
    """The customer :func:`customer_create` saves (not checked yet: ``full_clean``)."""
    return Customer(
        number=str(number) if isinstance(number, int) else _text(number, _("The number")),
        **_customer_fields(**fields),
    )


def _customer_fields(
    *, name, street, house_number, postcode, city, country, language, email, phone
) -> dict:
    # Free text is checked against its column here (with the field's name in the message);
    # coded values (number, country, language, phone) get their own messages from full_clean.
    return {
        "name": _text(name, _("The name"), _max_length(Customer, "name")),
        "street": _text(street, _("The street"), _max_length(Customer, "street")),
        "house_number": _text(
            house_number, _("The house number"), _max_length(Customer, "house_number")
        ),
        "postcode": _text(postcode, _("The postcode"), _max_length(Customer, "postcode")),
        "city": _text(city, _("The city"), _max_length(Customer, "city")),
        "country": _text(country, _("The country")).upper(),
        "language": _text(language, _("The language")),
        "email": _text(email, _("The e-mail address"), _max_length(Customer, "email")),
        "phone": _text(phone, _("The phone number")),
    }


@service
@transaction.atomic
def customer_update(
    *,
    customer: Customer,
    name: str,
    street: str | None = "",
    house_number: str | None = "",
    postcode: str | None = "",
    city: str | None = "",
    country: str | None = "CH",
    language: str | None = "fr",
    email: str | None = "",
    phone: str | None = "",
) -> Customer:
    """Change a customer's name, address, language, e-mail or phone (an address moved, a
    firm renamed in the ERP). The number stays: it is the customer's key everywhere."""
    _require_saved(customer, Customer, _("Choose an existing customer."))
    fields = _customer_fields(
        name=name,
        street=street,
        house_number=house_number,
        postcode=postcode,
        city=city,
        country=country,
        language=language,
        email=email,
        phone=phone,
    )
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    for attribute, value in fields.items():
        setattr(customer, attribute, value)
    customer.full_clean()
    customer.save()
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
