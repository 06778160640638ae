"""Support+ holds its conditions for its whole term (R7), not only on its first day.

The term lies in profi/premium rental periods (consecutive ones count together); more than
one registered person needs half-fare on every day; a later change of a period, a licence
or a half-fare subscription that would break a subscription is refused with what to do
first, in the services, the models and the admin forms.
"""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from customers import services
from customers.models import (
    HalfFareSubscription,
    Licence,
    RentalPeriod,
    SupportPlusRegistration,
    SupportPlusSubscription,
    newly_uncovered,
    spans_cover,
)
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    HalfFareFactory,
    LicenceFactory,
    RentalPeriodFactory,
)

pytestmark = pytest.mark.django_db

JAN1, JUN30, JUL1, DEC31 = date(2026, 1, 1), date(2026, 6, 30), date(2026, 7, 1), date(2026, 12, 31)
BREAKS = "end or shorten the Support+ subscription first"
DOWNGRADE = "enter the new variant as a new licence from the next day"


def d(text: str) -> date:
    day, month, year = (int(part) for part in text.split("."))
    return date(year, month, day)


# --- the coverage helper ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spans", "start", "end", "first_gap"),
    [
        ([], JAN1, DEC31, JAN1),
        ([(JAN1, DEC31)], JAN1, DEC31, None),
        ([(JAN1, JUN30)], JAN1, DEC31, JUL1),
        ([(JUL1, DEC31)], JAN1, DEC31, JAN1),
        ([(JAN1, JUN30), (JUL1, DEC31)], JAN1, DEC31, None),  # consecutive: no gap
        ([(JUL1, DEC31), (JAN1, JUN30)], JAN1, DEC31, None),  # in any order
        ([(JAN1, JUN30), (d("02.07.2026"), DEC31)], JAN1, DEC31, JUL1),  # one day missing
        ([(JAN1, d("31.08.2026")), (JUL1, DEC31)], JAN1, DEC31, None),  # overlapping
        ([(d("01.01.2025"), d("31.12.2027"))], JUL1, JUL1, None),  # a single day
        ([(JAN1, DEC31), (d("01.01.2027"), d("31.12.2027"))], JUL1, d("30.06.2027"), None),
        ([(JAN1, DEC31)], JUL1, d("30.06.2027"), d("01.01.2027")),
        (
            [(JAN1, JAN1), (d("02.01.2026"), d("02.01.2026"))],
            JAN1,
            d("03.01.2026"),
            d("03.01.2026"),
        ),
    ],
)
def test_spans_cover_returns_the_first_day_no_span_covers(spans, start, end, first_gap):
    assert spans_cover(spans, start, end) == first_gap


def test_newly_uncovered_counts_only_days_the_change_takes_away():
    year = [(JAN1, DEC31)]
    assert newly_uncovered(year, [(JAN1, JUN30)], JAN1, DEC31) == JUL1
    assert newly_uncovered([(JAN1, JUN30)], [(JAN1, JUN30)], JAN1, DEC31) is None
    assert newly_uncovered([(JAN1, JUN30)], [(JAN1, d("31.03.2026"))], JAN1, DEC31) == d(
        "01.04.2026"
    )
    assert newly_uncovered(year, [], d("01.03.2026"), d("31.03.2026")) == d("01.03.2026")


# --- taking Support+ ------------------------------------------------------------------------


def _customer(variant="profi", periods=((JAN1, DEC31),), persons=1):
    customer = CustomerFactory()
    licence = LicenceFactory(customer=customer, variant=variant)
    for start, end in periods:
        RentalPeriodFactory(licence=licence, start=start, end=end)
    contacts = [ContactFactory(customer=customer) for _ in range(persons)]
    return customer, licence, contacts


def test_support_plus_longer_than_the_rental_period_is_refused():
    # The licence ends on 30.06: a subscription to 31.12 was taken (and CHF 565 invoiced).
    customer, _licence, contacts = _customer(periods=[(JAN1, JUN30)])
    with pytest.raises(ValidationError) as exc:
        services.support_plus_subscribe(
            customer=customer, start=JAN1, end=DEC31, registered=contacts
        )
    message = " ".join(exc.value.messages)
    assert "01.07.2026" in message and "end on 30.06.2026 at the latest" in message
    assert not SupportPlusSubscription.objects.exists()
    # Ending with the rental period is fine.
    services.support_plus_subscribe(customer=customer, start=JAN1, end=JUN30, registered=contacts)


def test_support_plus_over_consecutive_periods_is_accepted_but_not_over_a_gap():
    customer, _licence, contacts = _customer(periods=[(d("01.07.2025"), JUN30)])
    premium = LicenceFactory(customer=customer, variant="premium")
    gap = RentalPeriodFactory(licence=premium, start=d("02.07.2026"), end=d("30.06.2027"))
    with pytest.raises(ValidationError, match=re.escape("no rental period covers 01.07.2026")):
        services.support_plus_subscribe(
            customer=customer, start=JAN1, end=DEC31, registered=contacts
        )
    # The renewal starts the day after: the two periods (of two licences) cover the year.
    services.rental_period_update(
        period=gap, start=JUL1, end=d("30.06.2027"), annual_rent=Decimal("480.00")
    )
    subscription = services.support_plus_subscribe(
        customer=customer, start=JAN1, end=DEC31, registered=contacts
    )
    assert (subscription.start, subscription.end) == (JAN1, DEC31)


def test_a_standard_period_does_not_carry_support_plus_on():
    customer, _licence, contacts = _customer(periods=[(JAN1, JUN30)])
    RentalPeriodFactory(
        licence=LicenceFactory(customer=customer, variant="standard"), start=JUL1, end=DEC31
    )
    with pytest.raises(ValidationError, match=re.escape("01.07.2026")):
        services.support_plus_subscribe(
            customer=customer, start=JAN1, end=DEC31, registered=contacts
        )
    assert not SupportPlusSubscription.objects.exists()


def test_additional_person_with_half_fare_ending_early_is_refused():
    customer, _licence, contacts = _customer(persons=2)
    HalfFareFactory(customer=customer, start=JAN1, end=d("31.03.2026"))
    with pytest.raises(ValidationError) as exc:
        services.support_plus_subscribe(
            customer=customer, start=JAN1, end=DEC31, registered=contacts
        )
    message = " ".join(exc.value.messages)
    assert "half-fare subscription for the whole term" in message and "01.04.2026" in message
    assert not SupportPlusSubscription.objects.exists()
    # A second half-fare subscription from the next day covers the rest of the year.
    services.half_fare_subscribe(customer=customer, start=d("01.04.2026"), end=DEC31)
    subscription = services.support_plus_subscribe(
        customer=customer, start=JAN1, end=DEC31, registered=contacts
    )
    assert subscription.registrations.count() == 2


# --- later changes: rental periods ----------------------------------------------------------


def _running(variant="profi", persons=1, half_fare=(JAN1, DEC31)):
    """A customer whose Support+ 01.01.–31.12.2026 rests on a profi period for 2026."""
    customer, licence, contacts = _customer(variant=variant, persons=persons)
    if half_fare:
        HalfFareFactory(customer=customer, start=half_fare[0], end=half_fare[1])
    services.support_plus_subscribe(customer=customer, start=JAN1, end=DEC31, registered=contacts)
    return customer, licence, RentalPeriod.objects.get(licence=licence)


def test_ending_the_rental_period_early_is_refused_while_it_breaks_a_subscription():
    _customer, _licence, period = _running()
    with pytest.raises(ValidationError) as exc:
        services.rental_period_update(
            period=period, start=JAN1, end=JUN30, annual_rent=Decimal("480.00")
        )
    assert " ".join(exc.value.messages) == (
        "This change would leave the Support+ subscription 01.01.–31.12.2026 without a profi"
        " or premium rental period on 01.07.2026: end or shorten the Support+ subscription"
        " first."
    )
    period.refresh_from_db()
    assert period.end == DEC31
    # A later start leaves the first days of the subscription without a licence.
    with pytest.raises(ValidationError, match=re.escape("on 01.01.2026")):
        services.rental_period_update(
            period=period, start=d("02.01.2026"), end=DEC31, annual_rent=Decimal("480.00")
        )


def test_changing_the_rental_period_is_accepted_when_no_subscription_needs_the_days():
    customer, licence, period = _running()
    # The rent, or a longer period, takes nothing away.
    services.rental_period_update(
        period=period, start=d("01.12.2025"), end=d("31.01.2027"), annual_rent=Decimal("600")
    )
    # With the renewal entered, the period may end earlier: the renewal covers the rest.
    renewal = RentalPeriodFactory(
        licence=LicenceFactory(customer=customer, variant="premium"),
        start=JUL1,
        end=d("30.06.2027"),
    )
    services.rental_period_update(
        period=period, start=d("01.12.2025"), end=JUN30, annual_rent=Decimal("600")
    )
    period.refresh_from_db()
    assert (period.end, period.annual_rent) == (JUN30, Decimal("600.00"))
    # ... but the renewal cannot go now.
    with pytest.raises(ValidationError, match=re.escape(BREAKS)):
        renewal.delete()
    assert RentalPeriod.objects.filter(pk=renewal.pk).exists()
    assert licence.rental_periods.count() == 1


def test_deleting_a_rental_period_is_refused_while_it_breaks_a_subscription():
    customer, licence, period = _running()
    with pytest.raises(ValidationError, match=re.escape(BREAKS)):
        period.delete()
    with pytest.raises(ValidationError, match=re.escape(BREAKS)):
        RentalPeriod.objects.filter(licence__customer=customer).delete()
    assert RentalPeriod.objects.filter(pk=period.pk).exists()
    # A period no subscription relies on can go.
    later = RentalPeriodFactory(licence=licence, start=d("01.01.2028"), end=d("31.12.2028"))
    later.delete()
    assert not RentalPeriod.objects.filter(pk=later.pk).exists()


def test_a_past_subscription_is_protected_too():
    customer, _licence, contacts = _customer(periods=[(d("01.01.2025"), d("31.12.2025"))])
    services.support_plus_subscribe(
        customer=customer, start=d("01.01.2025"), end=d("31.12.2025"), registered=contacts
    )
    period = RentalPeriod.objects.get(licence__customer=customer)
    with pytest.raises(ValidationError, match=re.escape("01.01.–31.12.2025")):
        services.rental_period_update(
            period=period, start=d("01.01.2025"), end=d("30.09.2025"), annual_rent=Decimal(480)
        )


def test_the_model_clean_refuses_the_same_change():
    _customer, _licence, period = _running()
    period.end = JUN30
    with pytest.raises(ValidationError, match=re.escape(BREAKS)):
        period.full_clean()


# --- later changes: the licence -------------------------------------------------------------


@pytest.mark.parametrize("variant", ["standard", "advanced"])
def test_downgrading_the_licence_is_refused_while_it_breaks_a_subscription(variant):
    _customer, licence, _period = _running()
    with pytest.raises(ValidationError) as exc:
        services.licence_update(licence=licence, variant=variant)
    message = " ".join(exc.value.messages)
    assert "relies on this licence's variant on 01.01.2026" in message
    assert DOWNGRADE in message
    licence.refresh_from_db()
    assert licence.variant == "profi"


def test_changing_the_licence_variant_is_accepted_when_it_breaks_nothing():
    customer, licence, _period = _running()
    services.licence_update(licence=licence, variant="premium")  # an upgrade
    assert Licence.objects.get(pk=licence.pk).variant == "premium"
    with pytest.raises(ValidationError, match=re.escape(DOWNGRADE)):
        services.licence_update(licence=licence, variant="advanced")
    # A second premium licence over the same year carries the subscription: now the first
    # one may be downgraded.
    RentalPeriodFactory(
        licence=LicenceFactory(customer=customer, variant="premium"), start=JAN1, end=DEC31
    )
    services.licence_update(licence=licence, variant="advanced")
    assert Licence.objects.get(pk=licence.pk).variant == "advanced"
    with pytest.raises(ValidationError, match=re.escape("Choose the variant")):
        services.licence_update(licence=licence, variant="gold")


def test_downgrading_is_refused_for_a_subscription_short_of_cover_already():
    # Entered before the rule: the subscription runs past the licence (to 31.12). The
    # downgrade takes away January to June as well: refused. A change that takes nothing
    # away (the rent) is still possible.
    customer, licence, contacts = _customer(periods=[(JAN1, JUN30)])
    legacy = SupportPlusSubscription.objects.create(customer=customer, start=JAN1, end=DEC31)
    SupportPlusRegistration.objects.create(subscription=legacy, contact=contacts[0], position=1)
    with pytest.raises(ValidationError, match=re.escape("on 01.01.2026")):
        services.licence_update(licence=licence, variant="standard")
    period = licence.rental_periods.get()
    services.rental_period_update(period=period, start=JAN1, end=JUN30, annual_rent=Decimal(500))


# --- later changes: half-fare ---------------------------------------------------------------


def test_shortening_the_half_fare_is_refused_while_additional_persons_need_it():
    customer, _licence, _period = _running(persons=2)
    half_fare = HalfFareSubscription.objects.get(customer=customer)
    with pytest.raises(ValidationError) as exc:
        services.half_fare_update(subscription=half_fare, start=JAN1, end=d("30.09.2026"))
    message = " ".join(exc.value.messages)
    assert "without a half-fare subscription on 01.10.2026" in message and BREAKS in message
    half_fare.refresh_from_db()
    assert half_fare.end == DEC31
    # Extending it takes nothing away.
    services.half_fare_update(subscription=half_fare, start=d("01.12.2025"), end=d("31.01.2027"))


def test_half_fare_may_change_when_the_subscription_registers_one_person():
    single, _licence, _period = _running(persons=1)
    shared, _licence, _period = _running(persons=2)
    half_fare = HalfFareSubscription.objects.get(customer=single)
    services.half_fare_update(subscription=half_fare, start=JAN1, end=d("31.03.2026"))
    half_fare.delete()
    assert not HalfFareSubscription.objects.filter(customer=single).exists()
    # The same change for the customer with two registered persons is refused.
    half_fare = HalfFareSubscription.objects.get(customer=shared)
    with pytest.raises(ValidationError, match=re.escape(BREAKS)):
        services.half_fare_update(subscription=half_fare, start=JAN1, end=d("31.03.2026"))


def test_deleting_the_half_fare_is_refused_while_additional_persons_need_it():
    customer, _licence, _period = _running(persons=2)
    half_fare = HalfFareSubscription.objects.get(customer=customer)
    with pytest.raises(
        ValidationError, match=re.escape("without a half-fare subscription on 01.01.2026")
    ):
        half_fare.delete()
    with pytest.raises(ValidationError, match=re.escape(BREAKS)):
        HalfFareSubscription.objects.filter(customer=customer).delete()
    assert HalfFareSubscription.objects.filter(pk=half_fare.pk).exists()


# --- the same through the admin -------------------------------------------------------------


def _licence_form(licence, period, **changes):
    data = {
        "customer": licence.customer_id,
        "kind": "rental",
        "variant": licence.variant,
        "modules": [m.pk for m in licence.modules.all()],
        "rental_periods-TOTAL_FORMS": "1",
        "rental_periods-INITIAL_FORMS": "1",
        "rental_periods-MIN_NUM_FORMS": "0",
        "rental_periods-MAX_NUM_FORMS": "1000",
        "rental_periods-0-id": period.pk,
        "rental_periods-0-licence": licence.pk,
        "rental_periods-0-start": f"{period.start:%Y-%m-%d}",
        "rental_periods-0-end": f"{period.end:%Y-%m-%d}",
        "rental_periods-0-annual_rent": str(period.annual_rent),
    }
    data.update(changes)
    return data


def test_admin_refuses_a_downgrade_that_breaks_a_subscription(client, admin_user):
    _customer, licence, period = _running()
    client.force_login(admin_user)
    url = f"/admin/customers/licence/{licence.pk}/change/"
    response = client.post(
        url, _licence_form(licence, period, variant="advanced"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert DOWNGRADE in response.content.decode().replace("&#x27;", "'")
    assert Licence.objects.get(pk=licence.pk).variant == "profi"
    # An upgrade goes through.
    response = client.post(url, _licence_form(licence, period, variant="premium"))
    assert response.status_code == 302
    assert Licence.objects.get(pk=licence.pk).variant == "premium"


@pytest.mark.parametrize(
    "changes",
    [{"rental_periods-0-end": "2026-06-30"}, {"rental_periods-0-DELETE": "on"}],
    ids=["shortened", "deleted"],
)
def test_admin_licence_page_refuses_a_period_change_that_breaks_a_subscription(
    client, admin_user, changes
):
    _customer, licence, period = _running()
    client.force_login(admin_user)
    response = client.post(
        f"/admin/customers/licence/{licence.pk}/change/",
        _licence_form(licence, period, **changes),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "01.07.2026" in response.content.decode() or "01.01.2026" in response.content.decode()
    assert BREAKS in response.content.decode()
    period.refresh_from_db()
    assert period.end == DEC31


def test_admin_rental_period_page_refuses_shortening_and_deleting(client, admin_user):
    _customer, _licence, period = _running()
    client.force_login(admin_user)
    url = f"/admin/customers/rentalperiod/{period.pk}"
    response = client.post(
        f"{url}/change/",
        {"start": "2026-01-01", "end": "2026-06-30", "annual_rent": "480.00"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "on 01.07.2026: end or shorten" in response.content.decode()

    response = client.post(
        f"{url}/delete/", {"post": "yes"}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert BREAKS in response.content.decode()
    response = client.post(
        "/admin/customers/rentalperiod/",
        {"action": "delete_selected", "_selected_action": [period.pk], "post": "yes"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert BREAKS in response.content.decode()
    period.refresh_from_db()
    assert period.end == DEC31
    # The rent can still be changed on the same page.
    response = client.post(
        f"{url}/change/", {"start": "2026-01-01", "end": "2026-12-31", "annual_rent": "500.00"}
    )
    assert response.status_code == 302
    period.refresh_from_db()
    assert period.annual_rent == Decimal("500.00")


def test_admin_half_fare_page_refuses_shortening_and_deleting(client, admin_user):
    customer, _licence, _period = _running(persons=2)
    half_fare = HalfFareSubscription.objects.get(customer=customer)
    client.force_login(admin_user)
    url = f"/admin/customers/halffaresubscription/{half_fare.pk}"
    response = client.post(
        f"{url}/change/",
        {"customer": customer.pk, "start": "2026-01-01", "end": "2026-09-30"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "without a half-fare subscription on 01.10.2026" in response.content.decode()
    response = client.post(
        f"{url}/delete/", {"post": "yes"}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert BREAKS in response.content.decode()
    half_fare.refresh_from_db()
    assert (half_fare.start, half_fare.end) == (JAN1, DEC31)


def test_admin_refuses_support_plus_longer_than_the_licence(client, admin_user):
    customer, _licence, contacts = _customer(periods=[(JAN1, JUN30)])
    client.force_login(admin_user)
    response = client.post(
        "/admin/customers/supportplussubscription/add/",
        {
            "customer": customer.pk,
            "start": "2026-01-01",
            "end": "2026-12-31",
            "persons": [contacts[0].pk],
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "no rental period covers 01.07.2026" in response.content.decode()
    assert not SupportPlusSubscription.objects.exists()
