"""One activity row of a tariff (R4, R6, R7, R8, R9): what it costs, what credit pays for it,
how it is named; the selectors that list the rows; and the admin that freezes the rows of
a tariff once it has been used (today: 15.03.2027).

The truth tables use unsaved rows: the rules of a row need no database.
"""

from datetime import date, datetime
from decimal import Decimal
from itertools import product
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from billing.models import ActivityRate, CreditGrant, GrantSource, Usage
from billing.selectors import activity_choices, activity_names
from tests.factories import (
    copy_tariff,
    form_fields,
    inline_prefix,
    make_usage,
    post,
    rental_customer,
    shown_form,
)

SEEDED_ORDER = [
    "support",
    "data_check",
    "training",
    "forms",
    "programming",
    "first_install",
    "verified_bug",
]
YEAR_2027 = {"start": date(2027, 1, 1), "end": date(2027, 12, 31)}


def row(**fields) -> ActivityRate:
    """An unsaved activity row: 175.00/h, no half-fare rate, no credit, not free."""
    values = {
        "code": "forms",
        "name_fr": "Adaptations des formulaires",
        "name_de": "Formularanpassungen",
        "name_en": "Form adaptations",
        "hourly_rate": Decimal("175.00"),
        **fields,
    }
    return ActivityRate(**values)


# --- rate(): R4 and R6 -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("free", "half_fare_rate", "half_fare", "rate"),
    [
        # a charged row with a half-fare rate (support, R6)
        (False, "119.00", False, "175.00"),
        (False, "119.00", True, "119.00"),
        # a charged row without one (data check, training, forms, programming)
        (False, None, False, "175.00"),
        (False, None, True, "175.00"),
        # a half-fare rate of zero is a rate, not "no half-fare rate"
        (False, "0.00", True, "0.00"),
        (False, "0.00", False, "175.00"),
        # a free row (first installation, verified error, R9) costs nothing, whatever it holds
        (True, None, False, "0.00"),
        (True, None, True, "0.00"),
        (True, "119.00", False, "0.00"),
        (True, "119.00", True, "0.00"),
    ],
)
def test_the_rate_of_a_row_with_and_without_half_fare(free, half_fare_rate, half_fare, rate):
    activity = row(
        free=free,
        half_fare_rate=None if half_fare_rate is None else Decimal(half_fare_rate),
    )
    assert activity.rate(half_fare=half_fare) == Decimal(rate)
    assert activity.rate(half_fare=half_fare).as_tuple().exponent == -2  # money: two places


def test_the_rate_without_an_argument_is_the_full_rate():
    assert row(half_fare_rate=Decimal("119.00")).rate() == Decimal("175.00")


@pytest.mark.parametrize(
    ("free", "half_fare_rate", "half_fare", "expected"),
    [
        (False, "119.00", True, True),
        (False, "119.00", False, False),  # no subscription: no half-fare
        (False, "0.00", True, True),
        (False, None, True, False),  # the row has no half-fare rate (R6: not data checks…)
        (False, None, False, False),
        (True, "119.00", True, False),  # free anyway: nothing to lower
        (True, None, True, False),
        (True, "119.00", False, False),
    ],
)
def test_a_customer_gets_the_half_fare_only_where_the_row_has_one(
    free, half_fare_rate, half_fare, expected
):
    activity = row(
        free=free,
        half_fare_rate=None if half_fare_rate is None else Decimal(half_fare_rate),
    )
    assert activity.has_half_fare(half_fare=half_fare) is expected
    if expected:  # what the invoice marks "half-fare" is the rate it charges
        assert activity.rate(half_fare=True) == activity.half_fare_rate


# --- credit_sources(): R4, R7, R8 -------------------------------------------------------


def expected_sources(*, licence_credit, support_plus_credit, free, registered) -> list[str]:
    """R4/R7/R8 in words: a free row draws no credit; licence credit pays for every caller
    where the row says so; a registered Support+ person's work on a row covered "with
    Support+" is paid by the licence credit and then the Support+ credit."""
    if free:
        return []
    if registered and support_plus_credit:
        return [GrantSource.LICENCE, GrantSource.SUPPORT_PLUS]
    if licence_credit:
        return [GrantSource.LICENCE]
    return []


COMBINATIONS = list(product([False, True], repeat=4))


@pytest.mark.parametrize(
    ("licence_credit", "support_plus_credit", "free", "registered"), COMBINATIONS
)
def test_the_credit_that_pays_for_a_row_for_every_combination(
    licence_credit, support_plus_credit, free, registered
):
    activity = row(
        licence_credit=licence_credit, support_plus_credit=support_plus_credit, free=free
    )
    assert activity.credit_sources(registered=registered) == expected_sources(
        licence_credit=licence_credit,
        support_plus_credit=support_plus_credit,
        free=free,
        registered=registered,
    )


@pytest.mark.parametrize(
    ("flags", "caller", "sources"),
    [
        # The concept's rows (R4) in words.
        ({"licence_credit": True, "support_plus_credit": True}, False, ["licence"]),
        ({"licence_credit": True, "support_plus_credit": True}, True, ["licence", "support_plus"]),
        ({"support_plus_credit": True}, False, []),  # data check / training: only with Support+
        ({"support_plus_credit": True}, True, ["licence", "support_plus"]),
        ({}, True, []),  # forms / programming: never from credit
        ({"free": True, "licence_credit": True, "support_plus_credit": True}, True, []),
    ],
)
def test_the_concepts_rows_draw_the_credit_it_names(flags, caller, sources):
    assert row(**flags).credit_sources(registered=caller) == sources


# --- name: fr/de/en, French otherwise ---------------------------------------------------


@pytest.mark.parametrize(
    ("language", "name"),
    [
        ("fr", "Conseil"),
        ("de", "Beratung"),
        ("en", "Consulting"),
        ("de-ch", "Beratung"),  # a regional variant speaks its language
        ("it", "Conseil"),  # no Italian name: French, the desk's first language
    ],
)
def test_a_row_is_named_in_the_language_of_the_page(language, name):
    activity = row(code="consulting", name_fr="Conseil", name_de="Beratung", name_en="Consulting")
    with translation.override(language):
        assert activity.name == name
        assert str(activity) == name


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_row_without_a_name_in_the_language_is_named_in_french(language):
    activity = row(code="consulting", name_fr="Conseil", name_de="", name_en="")
    with translation.override(language):
        assert activity.name == "Conseil"


def test_a_row_without_an_active_language_is_named_in_french():
    activity = row(code="consulting", name_fr="Conseil", name_de="Beratung", name_en="Consulting")
    with translation.override(None):
        assert activity.name == "Conseil"


# --- activity_names() -------------------------------------------------------------------


@pytest.mark.django_db
def test_activity_names_are_every_code_in_position_order_in_one_query(django_assert_num_queries):
    with translation.override("de"), django_assert_num_queries(1):
        names = activity_names()
    assert list(names) == SEEDED_ORDER
    assert names["data_check"] == "Datenkontrolle"
    assert names["programming"] == "Individuelle Programmierung"


@pytest.mark.django_db
def test_a_code_keeps_the_name_and_place_of_its_latest_tariff(django_assert_num_queries):
    # Entered out of order: the tariff of 2028 first, the one of 2027 after it.
    later = copy_tariff(
        date(2028, 1, 1),
        rates={
            "support": {"name_fr": "Assistance 2028", "name_de": "Support 2028", "position": 55}
        },
    )
    copy_tariff(date(2027, 1, 1), rates={"support": {"name_fr": "Assistance 2027"}})
    # "forms" is no longer in the latest tariff: it keeps its name from the older ones.
    later.activities.filter(code="forms").delete()

    with translation.override("fr"), django_assert_num_queries(1):
        names = activity_names()
    assert names["support"] == "Assistance 2028"
    assert names["forms"] == "Adaptations des formulaires"
    assert list(names) == [
        "data_check",
        "training",
        "forms",
        "programming",
        "support",  # position 55 in 2028
        "first_install",
        "verified_bug",
    ]
    with translation.override("de"):
        assert activity_names()["support"] == "Support 2028"


@pytest.mark.django_db
def test_activity_names_include_a_code_only_an_old_tariff_had():
    new = copy_tariff(date(2027, 1, 1))
    new.activities.filter(code="training").delete()
    with translation.override("en"):
        assert activity_names()["training"] == "Training / remote session"


# --- activity_choices(on=…) -------------------------------------------------------------


@pytest.fixture
def tariff_2027(db):
    """From 01.01.2027: programming moved first, training dropped, consulting added."""
    tariff = copy_tariff(date(2027, 1, 1), rates={"programming": {"position": 5}})
    tariff.activities.filter(code="training").delete()
    ActivityRate.objects.create(
        tariff=tariff,
        code="consulting",
        position=45,
        name_fr="Conseil",
        name_de="Beratung",
        name_en="Consulting",
        hourly_rate=Decimal("160.00"),
    )
    return tariff


ORDER_2027 = [
    "programming",
    "support",
    "data_check",
    "forms",
    "consulting",
    "first_install",
    "verified_bug",
]


@pytest.mark.parametrize(
    ("day", "codes"),
    [
        (date(2024, 1, 1), SEEDED_ORDER),
        (date(2026, 12, 31), SEEDED_ORDER),
        (date(2027, 1, 1), ORDER_2027),
        (date(2031, 5, 5), ORDER_2027),
    ],
)
def test_activity_choices_are_the_rows_of_the_tariff_of_the_day_in_one_query(
    tariff_2027, django_assert_num_queries, day, codes
):
    with translation.override("de"), django_assert_num_queries(1):
        choices = activity_choices(on=day)
    assert [code for code, _name in choices] == codes
    names = dict(choices)
    assert names["support"] == "Support (Telefon oder E-Mail, ohne Datenkontrolle)"
    assert names.get("consulting", "Beratung") == "Beratung"


@pytest.mark.django_db
def test_a_tariff_entered_for_later_is_not_offered_before_its_day():
    copy_tariff(date(2027, 6, 1), rates={"forms": {"name_fr": "Formulaires (nouveau)"}})
    with translation.override("fr"):
        assert dict(activity_choices(on=date(2027, 5, 31)))["forms"] == (
            "Adaptations des formulaires"
        )
        assert dict(activity_choices(on=date(2027, 6, 1)))["forms"] == "Formulaires (nouveau)"


@pytest.mark.django_db
def test_no_activity_before_the_first_tariff(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert activity_choices(on=date(2023, 12, 31)) == []


# --- the admin: a used tariff's rows are frozen, an unused one's can go ------------------


def change_url(tariff) -> str:
    return f"/admin/billing/tariff/{tariff.pk}/change/"


def rows_of(tariff) -> list[tuple]:
    return list(
        ActivityRate.objects.filter(tariff=tariff)
        .order_by("code")
        .values_list("pk", "code", "hourly_rate", "half_fare_rate", "name_fr")
    )


def use_by_grant(tariff) -> None:
    """A rental period from the tariff's first day: its credit grant comes from it (R3)."""
    rental_customer(rent=Decimal("480.00"), **YEAR_2027)
    assert CreditGrant.objects.filter(tariff=tariff).exists()
    assert not Usage.objects.exists()


def use_by_usage(tariff) -> None:
    """A customer below the credit threshold (no grant) whose work is charged by it."""
    customer = rental_customer(rent=Decimal("50.00"), **YEAR_2027)
    usage = make_usage(customer, 20, activity="forms", on=date(2027, 3, 2))
    assert usage.tariff == tariff
    assert not CreditGrant.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("use", [use_by_grant, use_by_usage], ids=["grant", "usage"])
def test_the_rows_of_a_used_tariff_are_read_only_and_tampering_changes_nothing(
    client, admin_user, use
):
    tariff = copy_tariff(date(2027, 1, 1))
    client.force_login(admin_user)
    url = change_url(tariff)
    # Before anything used it, the rows are an editable table…
    data = shown_form(client, url, language="en")
    assert f"{inline_prefix(data, 'forms')}-hourly_rate" in data
    assert CreditGrant.objects.filter(tariff=tariff).count() == 0

    use(tariff)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()

    # …after, they are shown, not offered for editing, deleting or adding.
    assert page.status_code == 200
    assert '<div class="readonly">Form adaptations</div>' in html
    assert '<div class="readonly">195.00</div>' in html  # programming
    posted = {key.split("-")[-1] for key in form_fields(html) if key.startswith("activities-")}
    # Only the hidden keys of the rows and the formset's counts: no field, no "Delete".
    assert posted == {"id", "tariff", "TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS"} | {
        "MAX_NUM_FORMS"
    }
    assert "activities-__prefix__" not in html  # no empty row to add
    assert 'name="activities-MAX_NUM_FORMS" value="0"' in html

    # A hand-made POST (a rate changed, a row deleted, a row added) changes nothing.
    before = rows_of(tariff)
    forms, support = inline_prefix(data, "forms"), inline_prefix(data, "support")
    n = int(data["activities-TOTAL_FORMS"])
    data.update(
        {
            f"{forms}-hourly_rate": "1.00",
            f"{support}-DELETE": "on",
            "activities-TOTAL_FORMS": str(n + 1),
            f"activities-{n}-position": "45",
            f"activities-{n}-code": "consulting",
            f"activities-{n}-name_fr": "Conseil",
            f"activities-{n}-name_de": "Beratung",
            f"activities-{n}-name_en": "Consulting",
            f"activities-{n}-hourly_rate": "160.00",
        }
    )
    response = post(client, url, data, language="en")
    assert response.status_code == 403
    assert rows_of(tariff) == before
    assert not ActivityRate.objects.filter(code="consulting").exists()
    assert tariff.hourly_rate("forms") == Decimal("175.00")


@pytest.mark.django_db
def test_a_row_deleted_from_a_future_tariff_is_refused_on_its_day(client, admin_user):
    customer = rental_customer(rent=Decimal("50.00"), **YEAR_2027)
    coming = copy_tariff(date(2027, 4, 1))
    url = change_url(coming)
    client.force_login(admin_user)
    data = shown_form(client, url, language="en")
    data[f"{inline_prefix(data, 'forms')}-DELETE"] = "on"

    response = post(client, url, data, language="en")

    assert response.status_code == 302, response.content.decode()[-2000:]
    assert sorted(coming.activities.values_list("code", flat=True)) == sorted(
        set(SEEDED_ORDER) - {"forms"}
    )
    assert "forms" not in dict(activity_choices(on=date(2027, 4, 1)))
    assert "forms" in dict(activity_choices(on=date(2027, 3, 31)))

    zurich = ZoneInfo("Europe/Zurich")
    with time_machine.travel(datetime(2027, 4, 2, 10, 0, tzinfo=zurich)):
        # The day before, the old tariff still has it…
        before = make_usage(customer, 30, activity="forms", ref="C-1", on=date(2027, 3, 31))
        assert before.amount == Decimal("87.50")
        # …from its day, the new tariff does not: a clear refusal, nothing posted.
        with pytest.raises(ValidationError) as refused:
            make_usage(customer, 30, activity="forms", ref="C-2", on=date(2027, 4, 1))
    assert refused.value.messages == ["Unknown activity “forms” in the tariff from 01.04.2027."]
    assert list(Usage.objects.values_list("work_ref", flat=True)) == ["C-1"]
