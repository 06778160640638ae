"""Ending a Support+ subscription early (R7): what the refusals of a licence or half-fare
change ask the desk to do first."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from billing.models import CreditGrant
from billing.services import record_usage
from customers import services
from customers.models import RentalPeriod, SupportPlusSubscription
from tests.factories import ContactFactory, rental_customer

pytestmark = pytest.mark.django_db

JUN30, DEC31 = date(2026, 6, 30), date(2026, 12, 31)


@pytest.fixture(autouse=True)
def desk_today():
    with time_machine.travel(date(2026, 12, 15)):
        yield


def running():
    customer = rental_customer(variant="profi")
    person = ContactFactory(customer=customer)
    subscription = services.support_plus_subscribe(
        customer=customer, start=date(2026, 1, 1), end=DEC31, registered=[person]
    )
    return customer, person, subscription


def test_end_support_plus_first_then_the_rental_period_can_end_early():
    customer, _person, subscription = running()
    period = RentalPeriod.objects.get(licence__customer=customer)
    with pytest.raises(ValidationError, match="end or shorten the Support"):
        services.rental_period_update(
            period=period, start=period.start, end=JUN30, annual_rent=Decimal("480.00")
        )
    services.support_plus_end(subscription=subscription, end=JUN30)
    services.rental_period_update(
        period=period, start=period.start, end=JUN30, annual_rent=Decimal("480.00")
    )
    assert SupportPlusSubscription.objects.get().end == JUN30
    # Its extra credit ends with it.
    assert CreditGrant.objects.get(support_plus=subscription).valid_to == JUN30


@pytest.mark.parametrize(
    ("end", "message"),
    [
        (date(2027, 1, 31), r"can only be shortened \(it ends on 31\.12\.2026\)"),
        (date(2025, 12, 31), "cannot be before the start"),
        ("30.06.2026", "must be a date"),
    ],
)
def test_a_subscription_is_only_shortened(end, message):
    _customer, _person, subscription = running()
    with pytest.raises(ValidationError, match=message):
        services.support_plus_end(subscription=subscription, end=end)
    assert SupportPlusSubscription.objects.get().end == DEC31


def test_credit_used_after_the_new_end_keeps_the_subscription_as_it_is():
    customer, person, subscription = running()
    # 15 min licence credit, then the Support+ minutes, in September.
    record_usage(
        customer=customer,
        activity="support",
        minutes=30,
        performed_on=date(2026, 9, 1),
        work_ref="C-1",
        contact=person,
    )
    with pytest.raises(ValidationError, match=r"used between 01\.09\.2026 and 01\.09\.2026"):
        services.support_plus_end(subscription=subscription, end=JUN30)
    assert SupportPlusSubscription.objects.get().end == DEC31
    assert CreditGrant.objects.get(support_plus=subscription).valid_to == DEC31
    services.support_plus_end(subscription=subscription, end=date(2026, 9, 30))
    assert CreditGrant.objects.get(support_plus=subscription).valid_to == date(2026, 9, 30)


def test_the_admin_brings_the_end_forward_and_refuses_a_longer_term(client, admin_user):
    _customer, _person, subscription = running()
    client.force_login(admin_user)
    url = f"/admin/customers/supportplussubscription/{subscription.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="end"' in page and 'name="start"' not in page
    registration = subscription.registrations.get()
    form = {
        "registrations-TOTAL_FORMS": "1",
        "registrations-INITIAL_FORMS": "1",
        "registrations-MIN_NUM_FORMS": "0",
        "registrations-MAX_NUM_FORMS": "1000",
        "registrations-0-id": str(registration.pk),
        "registrations-0-subscription": str(subscription.pk),
    }
    response = client.post(url, {**form, "end": "2027-03-31"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "can only be shortened" in response.content.decode()
    response = client.post(url, {**form, "end": "2026-06-30"})
    assert response.status_code == 302
    assert SupportPlusSubscription.objects.get().end == JUN30
    assert subscription.history.count() == 2
