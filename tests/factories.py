"""factory-boy factories shared by all tests."""

from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from customers.models import (
    Contact,
    Customer,
    HalfFareSubscription,
    Licence,
    LicenceKind,
    LicenceVariant,
    Module,
    RentalPeriod,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User {n}")
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    number = factory.Sequence(lambda n: str(50000 + n))
    name = factory.Sequence(lambda n: f"Menuiserie Dupont {n} SA")
    street = "Rue du Lac"
    house_number = "12"
    postcode = "1003"
    city = "Lausanne"
    language = "fr"
    email = factory.Sequence(lambda n: f"info{n}@dupont.example")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Claire Dupont {n}")


class LicenceFactory(factory.django.DjangoModelFactory):
    """A rental licence; ``modules=["COFI", "SAL"]`` sets its modules (default: COFI)."""

    class Meta:
        model = Licence
        skip_postgeneration_save = True

    customer = factory.SubFactory(CustomerFactory)
    kind = LicenceKind.RENTAL
    variant = LicenceVariant.STANDARD

    @factory.post_generation
    def modules(obj, create, extracted, **kwargs):
        codes = ["COFI"] if extracted is None else extracted
        obj.modules.set(Module.objects.filter(code__in=codes))


class RentalPeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RentalPeriod

    licence = factory.SubFactory(LicenceFactory)
    start = date(2026, 1, 1)
    end = date(2026, 12, 31)
    annual_rent = Decimal("480.00")


class HalfFareFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HalfFareSubscription

    customer = factory.SubFactory(CustomerFactory)
    start = date(2026, 1, 1)
    end = date(2026, 12, 31)


def rental_customer(
    variant="standard",
    modules=("COFI",),
    start=date(2026, 1, 1),
    end=date(2026, 12, 31),
    rent=Decimal("480.00"),
    **customer_kwargs,
):
    """A customer with one rental licence and one rental period."""
    customer = CustomerFactory(**customer_kwargs)
    licence = LicenceFactory(customer=customer, variant=variant, modules=list(modules))
    RentalPeriodFactory(licence=licence, start=start, end=end, annual_rent=rent)
    return customer


def support_plus(customer, persons, start=date(2026, 1, 1), end=date(2026, 12, 31)):
    """A Support+ subscription through the service (so every R7 rule applies)."""
    from customers.services import support_plus_subscribe

    return support_plus_subscribe(customer=customer, start=start, end=end, registered=persons)
