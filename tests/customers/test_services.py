from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.models import Tariff
from customers import services
from customers.models import (
    Contact,
    Customer,
    HalfFareSubscription,
    Licence,
    RentalPeriod,
    SupportPlusRegistration,
    SupportPlusSubscription,
)
from tests.factories import ContactFactory, CustomerFactory, LicenceFactory, rental_customer

pytestmark = pytest.mark.django_db

JAN1, DEC31 = date(2026, 1, 1), date(2026, 12, 31)


# --- customers and contacts -----------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    ["031 511 49 49", "+41 31 511 49 49", "0041315114949", "031/511.49.49", "+41315114949"],
)
def test_customer_phone_in_any_swiss_writing_is_stored_as_e164(written):
    customer = services.customer_create(name="Garage Monnier SA", phone=written)
    customer.refresh_from_db()
    assert customer.phone.as_e164 == "+41315114949"


def test_customer_gets_the_next_free_number_when_none_is_given():
    CustomerFactory(number="10020")
    first = services.customer_create(name="Boulangerie Favre SA")
    second = services.customer_create(name="Schreinerei Huber AG")
    assert (first.number, second.number) == ("10021", "10022")


def test_missing_optional_text_is_empty_not_an_error():
    customer = services.customer_create(name="Cave Perrin", email=None, phone=None, street=None)
    assert (customer.email, customer.street, str(customer.phone)) == ("", "", "")


def test_first_customer_number_of_an_empty_desk():
    assert services.customer_create(name="Cave Perrin").number == "10001"


def test_customer_stores_the_structured_swiss_address():
    customer = services.customer_create(
        name="Fiduciaire Rochat Sàrl",
        street=" Rue de la Fontaine ",
        house_number="7",
        postcode="1201",
        city="Genève",
        country="ch",
        language="fr",
        email="contact@rochat.example",
    )
    customer.refresh_from_db()
    assert (customer.street, customer.house_number, customer.postcode, customer.city) == (
        "Rue de la Fontaine",
        "7",
        "1201",
        "Genève",
    )
    assert customer.country == "CH"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": ""}, "This field cannot be blank"),
        ({"name": "   "}, "This field cannot be blank"),
        ({"name": "X", "phone": "12"}, "phone number entered is not valid"),
        ({"name": "X", "phone": "+41 31 511 49 49 99"}, "phone number entered is not valid"),
        ({"name": "X", "email": "not-an-address"}, "valid email"),
        ({"name": "X", "postcode": "30111"}, "four digits"),
        ({"name": "X", "postcode": "Bern"}, "four digits"),
        ({"name": "X", "postcode": "٣٠١١"}, "four digits"),  # Arabic-Indic digits
        ({"name": "X", "country": "Switzerland"}, "two-letter"),
        ({"name": "X", "language": "it"}, "not a valid choice"),
        ({"name": "X", "number": "0123"}, "4 to 10 digits"),
        ({"name": "X", "number": "ABC1"}, "4 to 10 digits"),
        ({"name": "X" * 141}, "at most 140 characters"),
        ({"name": "X", "email": 42}, "The e-mail address must be text"),
        ({"name": "X", "phone": 41315114949}, "The phone number must be text"),
        ({"name": ["Favre"]}, "The name must be text"),
        ({"name": "X", "language": None}, "cannot be blank"),
    ],
)
def test_customer_bad_input_is_refused_and_nothing_is_saved(kwargs, message):
    with pytest.raises(ValidationError) as exc:
        services.customer_create(**kwargs)
    assert message in " ".join(exc.value.messages)
    assert Customer.objects.count() == 0


def test_customer_number_taken_twice_is_refused():
    services.customer_create(name="A", number="10005")
    with pytest.raises(ValidationError, match="already exists"):
        services.customer_create(name="B", number="10005")
    assert Customer.objects.count() == 1


def test_german_postcode_abroad_is_not_forced_into_swiss_format():
    customer = services.customer_create(name="Müller GmbH", postcode="79539", country="DE")
    assert customer.postcode == "79539"


def test_contact_phone_normalised_and_bad_contact_refused():
    customer = CustomerFactory()
    contact = services.contact_create(customer=customer, name="Sophie Favre", phone="079 412 36 58")
    assert contact.phone.as_e164 == "+41794123658"
    with pytest.raises(ValidationError):
        services.contact_create(customer=customer, name="", email="x@y.example")
    with pytest.raises(ValidationError):
        services.contact_create(customer=customer, name="Marc", email="nope")
    assert Contact.objects.count() == 1


# --- licences ------------------------------------------------------------------------


def test_licence_with_modules():
    customer = CustomerFactory()
    licence = services.licence_create(customer=customer, variant="profi", modules=["cofi", "SAL"])
    assert licence.kind == "rental"
    assert sorted(licence.modules.values_list("code", flat=True)) == ["COFI", "SAL"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"variant": "gold", "modules": ["COFI"]}, "not a valid choice"),
        ({"variant": "profi", "modules": ["COFI"], "kind": "lease"}, "not a valid choice"),
        (
            {"variant": "profi", "modules": ["COFI", "XYZ", "ABC"]},
            "Unknown module code(s): XYZ, ABC",
        ),
        ({"variant": "profi", "modules": []}, "at least one module"),
        ({"variant": "profi", "modules": ["COFI", "COFI"]}, "only once"),
        ({"variant": "profi", "modules": "COFI"}, "list of module codes"),
    ],
)
def test_licence_bad_input_is_refused_and_nothing_is_saved(kwargs, message):
    with pytest.raises(ValidationError) as exc:
        services.licence_create(customer=CustomerFactory(), **kwargs)
    assert message in " ".join(exc.value.messages)
    assert Licence.objects.count() == 0


def test_licence_with_rental_periods_cannot_become_a_purchase_licence():
    licence = LicenceFactory()
    services.rental_period_create(licence=licence, start=JAN1, end=DEC31, annual_rent=Decimal(1))
    licence.kind = "purchase"
    with pytest.raises(ValidationError, match="cannot become a purchase licence"):
        licence.full_clean()


# --- rental periods ------------------------------------------------------------------


def test_rental_period_created():
    licence = LicenceFactory()
    period = services.rental_period_create(
        licence=licence, start=JAN1, end=DEC31, annual_rent=Decimal("480.00")
    )
    assert period.annual_rent == Decimal("480.00")
    assert period.history.count() == 1


def test_adjacent_rental_periods_are_fine_overlapping_ones_refused():
    licence = LicenceFactory()
    services.rental_period_create(licence=licence, start=JAN1, end=DEC31, annual_rent=Decimal(480))
    services.rental_period_create(
        licence=licence, start=date(2027, 1, 1), end=date(2027, 12, 31), annual_rent=Decimal(480)
    )
    for start, end in [
        (date(2026, 12, 31), date(2027, 3, 1)),  # shares one day
        (date(2025, 6, 1), date(2026, 1, 1)),
        (date(2026, 3, 1), date(2026, 4, 1)),  # inside
        (date(2025, 1, 1), date(2028, 1, 1)),  # around both
    ]:
        with pytest.raises(ValidationError, match="overlaps the rental period"):
            services.rental_period_create(
                licence=licence, start=start, end=end, annual_rent=Decimal(480)
            )
    assert RentalPeriod.objects.count() == 2


def test_periods_of_different_licences_may_overlap():
    customer = CustomerFactory()
    for _ in range(2):
        licence = LicenceFactory(customer=customer)
        services.rental_period_create(
            licence=licence, start=JAN1, end=DEC31, annual_rent=Decimal(1)
        )
    assert RentalPeriod.objects.count() == 2


def test_one_day_period_is_allowed():
    period = services.rental_period_create(
        licence=LicenceFactory(), start=JAN1, end=JAN1, annual_rent=Decimal("0")
    )
    assert period.start == period.end


@pytest.mark.parametrize(
    ("start", "end", "rent", "message"),
    [
        (DEC31, JAN1, Decimal("480"), "cannot be before the start"),
        (JAN1, DEC31, Decimal("-0.05"), "cannot be negative"),
        (JAN1, DEC31, Decimal("480.005"), "2 decimal places"),
        (JAN1, DEC31, Decimal("123456789.00"), "digits"),
        (JAN1, DEC31, 480.0, "exact amount"),
        (JAN1, DEC31, None, "exact amount"),
        (JAN1, DEC31, "abc", "exact amount"),
        ("2026-01-01", DEC31, Decimal("480"), "must be a date"),
        (JAN1, None, Decimal("480"), "must be a date"),
    ],
)
def test_rental_period_bad_input_is_refused_and_nothing_is_saved(start, end, rent, message):
    with pytest.raises(ValidationError) as exc:
        services.rental_period_create(
            licence=LicenceFactory(), start=start, end=end, annual_rent=rent
        )
    assert message in " ".join(exc.value.messages)
    assert RentalPeriod.objects.count() == 0


def test_purchase_licence_has_no_rental_periods():
    licence = LicenceFactory(kind="purchase")
    with pytest.raises(ValidationError, match="purchase licence"):
        services.rental_period_create(
            licence=licence, start=JAN1, end=DEC31, annual_rent=Decimal(1)
        )
    assert RentalPeriod.objects.count() == 0


def test_database_refuses_a_reversed_period_even_without_the_service():
    from django.db import IntegrityError, transaction

    licence = LicenceFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        RentalPeriod.objects.create(licence=licence, start=DEC31, end=JAN1, annual_rent=1)


# --- half-fare -------------------------------------------------------------------------


def test_half_fare_subscriptions_never_overlap():
    customer = CustomerFactory()
    services.half_fare_subscribe(customer=customer, start=JAN1, end=DEC31)
    with pytest.raises(ValidationError, match="already has a half-fare subscription"):
        services.half_fare_subscribe(
            customer=customer, start=date(2026, 6, 1), end=date(2027, 5, 31)
        )
    with pytest.raises(ValidationError, match="cannot be before"):
        services.half_fare_subscribe(
            customer=customer, start=date(2027, 2, 1), end=date(2027, 1, 1)
        )
    services.half_fare_subscribe(customer=customer, start=date(2027, 1, 1), end=date(2027, 12, 31))
    assert HalfFareSubscription.objects.filter(customer=customer).count() == 2


# --- Support+ (R7) ----------------------------------------------------------------------


def _plus_customer(variant="profi", persons=1, half_fare=False):
    customer = rental_customer(variant=variant)
    contacts = [ContactFactory(customer=customer) for _ in range(persons)]
    if half_fare:
        services.half_fare_subscribe(customer=customer, start=JAN1, end=DEC31)
    return customer, contacts


@pytest.mark.parametrize("variant", ["profi", "premium"])
def test_support_plus_for_profi_and_premium(variant):
    customer, contacts = _plus_customer(variant)
    sub = services.support_plus_subscribe(
        customer=customer, start=JAN1, end=DEC31, registered=contacts
    )
    registration = sub.registrations.get()
    assert registration.contact == contacts[0]
    assert registration.is_additional is False
    assert sub.history.count() == 1


@pytest.mark.parametrize("variant", ["standard", "advanced"])
def test_support_plus_refused_for_standard_and_advanced(variant):
    customer, contacts = _plus_customer(variant)
    with pytest.raises(ValidationError, match="only for customers with a current profi or premium"):
        services.support_plus_subscribe(
            customer=customer, start=JAN1, end=DEC31, registered=contacts
        )
    assert SupportPlusSubscription.objects.count() == 0


def test_support_plus_refused_for_purchase_licence_and_expired_rental():
    purchase = CustomerFactory()
    LicenceFactory(customer=purchase, kind="purchase", variant="premium")
    expired = rental_customer(variant="premium", start=date(2025, 1, 1), end=date(2025, 12, 31))
    for customer in (purchase, expired):
        contact = ContactFactory(customer=customer)
        with pytest.raises(ValidationError, match="current profi or premium"):
            services.support_plus_subscribe(
                customer=customer, start=JAN1, end=DEC31, registered=[contact]
            )
    assert SupportPlusSubscription.objects.count() == 0


def test_additional_persons_need_half_fare():
    customer, contacts = _plus_customer(persons=3)
    with pytest.raises(ValidationError, match="require an active half-fare subscription"):
        services.support_plus_subscribe(
            customer=customer, start=JAN1, end=DEC31, registered=contacts
        )
    assert SupportPlusSubscription.objects.count() == 0
    assert SupportPlusRegistration.objects.count() == 0

    services.half_fare_subscribe(customer=customer, start=JAN1, end=DEC31)
    sub = services.support_plus_subscribe(
        customer=customer, start=JAN1, end=DEC31, registered=contacts
    )
    assert [r.is_additional for r in sub.registrations.order_by("position")] == [
        False,
        True,
        True,
    ]
    assert [r.contact for r in sub.registrations.order_by("position")] == contacts


def test_support_plus_capacity_comes_from_the_tariff():
    Tariff.objects.update(support_plus_capacity=2)
    first, second, third = (_plus_customer() for _ in range(3))
    for customer, contacts in (first, second):
        services.support_plus_subscribe(
            customer=customer, start=JAN1, end=DEC31, registered=contacts
        )
    with pytest.raises(ValidationError, match="Support\\+ is full: all 2 places"):
        services.support_plus_subscribe(
            customer=third[0], start=JAN1, end=DEC31, registered=third[1]
        )
    assert SupportPlusSubscription.objects.count() == 2
    Tariff.objects.update(support_plus_capacity=3)
    services.support_plus_subscribe(customer=third[0], start=JAN1, end=DEC31, registered=third[1])


def test_support_plus_capacity_counts_subscriptions_running_at_the_same_time():
    Tariff.objects.update(support_plus_capacity=2)
    h1, h2, full_year, extra = (_plus_customer() for _ in range(4))
    services.support_plus_subscribe(
        customer=h1[0], start=JAN1, end=date(2026, 6, 30), registered=h1[1]
    )
    services.support_plus_subscribe(
        customer=h2[0], start=date(2026, 7, 1), end=DEC31, registered=h2[1]
    )
    # Never more than two at once: the two halves and the full year.
    services.support_plus_subscribe(
        customer=full_year[0], start=JAN1, end=DEC31, registered=full_year[1]
    )
    with pytest.raises(ValidationError, match="Support\\+ is full"):
        services.support_plus_subscribe(
            customer=extra[0], start=date(2026, 9, 1), end=date(2026, 9, 30), registered=extra[1]
        )
    assert SupportPlusSubscription.objects.count() == 3


def test_support_plus_of_a_past_year_does_not_take_a_place():
    Tariff.objects.update(support_plus_capacity=1)
    old, new = _plus_customer(), _plus_customer()
    for customer, _ in (old,):
        licence = customer.licences.get()
        services.rental_period_create(
            licence=licence, start=date(2025, 1, 1), end=date(2025, 12, 31), annual_rent=Decimal(1)
        )
    services.support_plus_subscribe(
        customer=old[0], start=date(2025, 1, 1), end=date(2025, 12, 31), registered=old[1]
    )
    services.support_plus_subscribe(customer=new[0], start=JAN1, end=DEC31, registered=new[1])
    assert SupportPlusSubscription.objects.count() == 2


def test_services_refuse_missing_unsaved_or_wrong_objects():
    customer = CustomerFactory()
    licence = LicenceFactory(customer=customer)
    unsaved_licence = Licence(customer=customer, variant="profi")
    for wrong in (None, customer, unsaved_licence, "1"):
        with pytest.raises(ValidationError, match="Choose an existing licence"):
            services.rental_period_create(
                licence=wrong, start=JAN1, end=DEC31, annual_rent=Decimal(1)
            )
    for wrong in (None, licence, CustomerFactory.build()):
        with pytest.raises(ValidationError, match="Choose an existing customer"):
            services.half_fare_subscribe(customer=wrong, start=JAN1, end=DEC31)
        with pytest.raises(ValidationError, match="Choose an existing customer"):
            services.contact_create(customer=wrong, name="Anna")
        with pytest.raises(ValidationError, match="Choose an existing customer"):
            services.licence_create(customer=wrong, variant="profi", modules=["COFI"])
    assert RentalPeriod.objects.count() == 0
    assert HalfFareSubscription.objects.count() == 0


@pytest.mark.parametrize("registered", ["single", "number", "unsaved"])
def test_support_plus_refuses_persons_that_are_not_a_list_of_saved_contacts(registered):
    customer, contacts = _plus_customer()
    value = {
        "single": contacts[0],
        "number": 5,
        "unsaved": [ContactFactory.build(customer=customer)],
    }[registered]
    with pytest.raises(ValidationError, match=r"registered persons|must be contacts"):
        services.support_plus_subscribe(customer=customer, start=JAN1, end=DEC31, registered=value)
    assert SupportPlusSubscription.objects.count() == 0


@pytest.mark.parametrize(
    ("start", "end", "registered", "message"),
    [
        (JAN1, date(2027, 1, 1), "own", "at most one year"),
        (DEC31, JAN1, "own", "cannot be before"),
        (JAN1, DEC31, "none", "at least one person"),
        (JAN1, DEC31, "twice", "only once"),
        (JAN1, DEC31, "other", "Only contacts of this customer"),
        (JAN1, DEC31, "string", "must be contacts"),
    ],
)
def test_support_plus_bad_input_is_refused(start, end, registered, message):
    customer, contacts = _plus_customer(persons=1, half_fare=True)
    persons = {
        "own": contacts,
        "none": [],
        "twice": [contacts[0], contacts[0]],
        "other": [ContactFactory()],
        "string": ["Claire Dupont"],
    }[registered]
    with pytest.raises(ValidationError, match=message):
        services.support_plus_subscribe(customer=customer, start=start, end=end, registered=persons)
    assert SupportPlusSubscription.objects.count() == 0


def test_second_overlapping_support_plus_of_one_customer_is_refused():
    customer, contacts = _plus_customer()
    services.support_plus_subscribe(customer=customer, start=JAN1, end=DEC31, registered=contacts)
    with pytest.raises(ValidationError, match="already has a Support\\+ subscription"):
        services.support_plus_subscribe(
            customer=customer, start=date(2026, 6, 1), end=date(2026, 12, 31), registered=contacts
        )
    assert SupportPlusSubscription.objects.count() == 1
