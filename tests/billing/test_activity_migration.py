"""The data migration billing 0014_seed_activities: the rate columns of every tariff become
its seven activity rows (R4), and unapplying it puts the rows' rates back in the columns.

The migrations run for real (``MigrationExecutor``) on the test database: billing goes back
to 0012, two tariffs are written through the historical models, billing goes forward again.
Nothing above billing depends on 0013–0015 (cases' 0011 only changes its own column), so
billing alone moves. Schema changes need their own transactions, so these tests commit; the
database is migrated to the latest state again whatever happens, and ``serialized_rollback``
gives the migrated reference data back to the tests that run after.
"""

import importlib
from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE_ACTIVITIES = [("billing", "0012_ledger_triggers")]
ACTIVITIES_TABLE = [("billing", "0013_activity_rates")]

# The seeded tariff of 2024 (the support concept) and one of 2027 whose rates all differ, so
# that a rate read from the wrong column shows.
RATES_2027 = {
    "rate_support": Decimal("180.00"),
    "half_fare_rate_support": Decimal("122.00"),
    "rate_data_check": Decimal("182.00"),
    "rate_training": Decimal("184.00"),
    "rate_forms": Decimal("186.00"),
    "rate_programming": Decimal("210.00"),
}

# R4: code -> (hourly rate 2024, hourly rate 2027, half-fare 2024, half-fare 2027,
#              licence credit, credit for Support+ persons, free, free on a verified error,
#              first rental period only)
R4 = {
    "support": ("175.00", "180.00", "119.00", "122.00", True, True, False, True, False),
    "data_check": ("175.00", "182.00", None, None, False, True, False, True, False),
    "training": ("175.00", "184.00", None, None, False, True, False, False, False),
    "forms": ("175.00", "186.00", None, None, False, False, False, False, False),
    "programming": ("195.00", "210.00", None, None, False, False, False, False, False),
    "first_install": ("0", "0", None, None, False, False, True, False, True),
    "verified_bug": ("0", "0", None, None, False, False, True, False, False),
}
NAMES = {  # French, German, English
    "support": (
        "Assistance (téléphone ou e-mail, sans contrôle des données)",
        "Support (Telefon oder E-Mail, ohne Datenkontrolle)",
        "Support (phone or e-mail, no data check)",
    ),
    "data_check": ("Contrôle des données", "Datenkontrolle", "Data check"),
    "training": (
        "Formation / télémaintenance",
        "Schulung / Fernwartung",
        "Training / remote session",
    ),
    "forms": ("Adaptations des formulaires", "Formularanpassungen", "Form adaptations"),
    "programming": (
        "Programmation individuelle",
        "Individuelle Programmierung",
        "Individual programming",
    ),
    "first_install": (
        "Première installation (gratuite)",
        "Erstinstallation (kostenlos)",
        "First installation (free)",
    ),
    "verified_bug": (
        "Erreur logicielle vérifiée (gratuite)",
        "Verifizierter Softwarefehler (kostenlos)",
        "Verified software error (free)",
    ),
}


def migrate(targets=None):
    """Migrate the test database to ``targets`` (default: the latest migrations) and return
    the historical models of that state."""
    executor = MigrationExecutor(connection)
    targets = list(targets or executor.loader.graph.leaf_nodes())
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.fixture
def migrated_back():
    """The database at billing 0012 with the seeded tariff of 2024 and one of 2027; migrated
    to the latest state again after the test, also when it fails."""
    try:
        latest = migrate()
        # 0015 cannot be unapplied while a tariff exists (its rate columns come back NOT NULL
        # without a default): the tariffs go, and come back at 0012 through the historical
        # models (nothing else refers to them in the test database).
        latest.get_model("billing", "Tariff").objects.all().delete()
        apps = migrate(BEFORE_ACTIVITIES)
        seed = importlib.import_module("billing.migrations.0002_initial_tariff").create_tariff
        seed(apps, None)  # the tariff of 2024, as seeded
        Tariff = apps.get_model("billing", "Tariff")
        seeded = Tariff.objects.get(valid_from=date(2024, 1, 1))
        values = {
            f.attname: getattr(seeded, f.attname)
            for f in Tariff._meta.concrete_fields
            if not f.primary_key
        }
        Tariff.objects.create(
            **{**values, **RATES_2027, "valid_from": date(2027, 1, 1), "note": "Tarif 2027"}
        )
        assert not any("activityrate" in t for t in connection.introspection.table_names())
        yield apps
    finally:
        migrate()


def activities_by_tariff(apps) -> dict[int, list]:
    ActivityRate = apps.get_model("billing", "ActivityRate")
    rows: dict[int, list] = {}
    for row in ActivityRate.objects.select_related("tariff").order_by("position"):
        rows.setdefault(row.tariff.valid_from.year, []).append(row)
    return rows


def test_each_tariff_gets_its_seven_activities_with_its_own_rates(migrated_back):
    apps = migrate()
    rows = activities_by_tariff(apps)

    assert sorted(rows) == [2024, 2027]
    for year, column in ((2024, 0), (2027, 1)):
        assert [r.code for r in rows[year]] == list(R4), year  # seven, in the order of R4
        for row in rows[year]:
            rate, half = R4[row.code][column], R4[row.code][2 + column]
            assert row.hourly_rate == Decimal(rate), (year, row.code)
            assert row.half_fare_rate == (None if half is None else Decimal(half)), (year, row.code)


def test_the_activities_carry_the_flags_and_names_of_r4(migrated_back):
    apps = migrate()
    rows = activities_by_tariff(apps)

    for year in (2024, 2027):
        for row in rows[year]:
            flags = (
                row.licence_credit,
                row.support_plus_credit,
                row.free,
                row.free_on_verified_error,
                row.first_rental_period_only,
            )
            assert flags == R4[row.code][4:], (year, row.code)
            assert (row.name_fr, row.name_de, row.name_en) == NAMES[row.code], (year, row.code)
        assert [r.position for r in rows[year]] == [10, 20, 30, 40, 50, 60, 70]


def test_the_seeding_is_idempotent(migrated_back):
    # A tariff that already has an activity keeps it as it is, and gets the missing ones.
    apps = migrate(ACTIVITIES_TABLE)
    Tariff = apps.get_model("billing", "Tariff")
    ActivityRate = apps.get_model("billing", "ActivityRate")
    tariff_2027 = Tariff.objects.get(valid_from=date(2027, 1, 1))
    ActivityRate.objects.create(
        tariff=tariff_2027,
        code="support",
        position=10,
        name_fr="Assistance",
        name_de="Support",
        name_en="Support",
        hourly_rate=Decimal("999.00"),
        licence_credit=True,
    )

    rows = activities_by_tariff(migrate())

    assert len(rows[2027]) == 7
    assert rows[2027][0].hourly_rate == Decimal("999.00")


def rate_columns(apps) -> dict[int, dict]:
    Tariff = apps.get_model("billing", "Tariff")
    return {
        t.valid_from.year: {name: getattr(t, name) for name in RATES_2027}
        for t in Tariff.objects.all()
    }


# The columns after unapplying: the 2024 tariff's as seeded, the 2027 tariff's with the
# support rates edited in its rows.
RESTORED = {
    2024: {
        "rate_support": Decimal("175.00"),
        "half_fare_rate_support": Decimal("119.00"),
        "rate_data_check": Decimal("175.00"),
        "rate_training": Decimal("175.00"),
        "rate_forms": Decimal("175.00"),
        "rate_programming": Decimal("195.00"),
    },
    2027: {
        **RATES_2027,
        "rate_support": Decimal("190.00"),
        "half_fare_rate_support": Decimal("125.00"),
    },
}


def edit_support_rates_2027(apps):
    """The rates edited after the migration (in the admin): the rows are what counts."""
    ActivityRate = apps.get_model("billing", "ActivityRate")
    edited = ActivityRate.objects.filter(tariff__valid_from=date(2027, 1, 1), code="support")
    assert edited.update(hourly_rate=Decimal("190.00"), half_fare_rate=Decimal("125.00")) == 1


def test_unapplying_the_seeding_restores_the_rate_columns_from_the_rows(migrated_back):
    # At 0014 the columns still exist next to the rows: blank them, so that only the rows
    # can fill them again.
    apps = migrate([("billing", "0014_seed_activities")])
    edit_support_rates_2027(apps)
    apps.get_model("billing", "Tariff").objects.update(**dict.fromkeys(RATES_2027, Decimal(0)))

    apps = migrate(ACTIVITIES_TABLE)

    assert rate_columns(apps) == RESTORED


def test_migrating_back_from_the_latest_state_restores_the_rate_columns(migrated_back):
    # The way back from a database in use: 0015 gives the columns back, then 0014 fills them.
    edit_support_rates_2027(migrate())

    try:
        apps = migrate(ACTIVITIES_TABLE)
    except IntegrityError as exc:
        pytest.fail(f"Unapplying billing 0015 and 0014 with tariffs in the table failed: {exc}")

    assert rate_columns(apps) == RESTORED
