"""Today's seven activities of the support concept (R4), as rows of every tariff.

Each existing tariff gets its activities with the hourly rates it held in its columns
(the columns go in the next migration); a fresh database gets them on the tariff of
2024 with the numbers of the concept.
"""

from django.db import migrations

# code: (position, French, German, English, rate column, half-fare column, licence credit,
#        credit for Support+ persons, free, free on a verified error, first period only)
ACTIVITIES = {
    "support": (
        10,
        "Assistance (téléphone ou e-mail, sans contrôle des données)",
        "Support (Telefon oder E-Mail, ohne Datenkontrolle)",
        "Support (phone or e-mail, no data check)",
        "rate_support",
        "half_fare_rate_support",
        True,
        True,
        False,
        True,
        False,
    ),
    "data_check": (
        20,
        "Contrôle des données",
        "Datenkontrolle",
        "Data check",
        "rate_data_check",
        None,
        False,
        True,
        False,
        True,
        False,
    ),
    "training": (
        30,
        "Formation / télémaintenance",
        "Schulung / Fernwartung",
        "Training / remote session",
        "rate_training",
        None,
        False,
        True,
        False,
        False,
        False,
    ),
    "forms": (
        40,
        "Adaptations des formulaires",
        "Formularanpassungen",
        "Form adaptations",
        "rate_forms",
        None,
        False,
        False,
        False,
        False,
        False,
    ),
    "programming": (
        50,
        "Programmation individuelle",
        "Individuelle Programmierung",
        "Individual programming",
        "rate_programming",
        None,
        False,
        False,
        False,
        False,
        False,
    ),
    "first_install": (
        60,
        "Première installation (gratuite)",
        "Erstinstallation (kostenlos)",
        "First installation (free)",
        None,
        None,
        False,
        False,
        True,
        False,
        True,
    ),
    "verified_bug": (
        70,
        "Erreur logicielle vérifiée (gratuite)",
        "Verifizierter Softwarefehler (kostenlos)",
        "Verified software error (free)",
        None,
        None,
        False,
        False,
        True,
        False,
        False,
    ),
}


def seed_activities(apps, schema_editor):
    Tariff = apps.get_model("billing", "Tariff")
    ActivityRate = apps.get_model("billing", "ActivityRate")
    for tariff in Tariff.objects.all():
        for code, row in ACTIVITIES.items():
            (position, fr, de, en, rate, half, licence, plus, free, on_error, first) = row
            ActivityRate.objects.get_or_create(
                tariff=tariff,
                code=code,
                defaults={
                    "position": position,
                    "name_fr": fr,
                    "name_de": de,
                    "name_en": en,
                    "hourly_rate": getattr(tariff, rate) if rate else 0,
                    "half_fare_rate": getattr(tariff, half) if half else None,
                    "licence_credit": licence,
                    "support_plus_credit": plus,
                    "free": free,
                    "free_on_verified_error": on_error,
                    "first_rental_period_only": first,
                },
            )


def restore_rate_columns(apps, schema_editor):
    """Back to the rate columns: each tariff (and each of its history records) takes the
    rates of its activity rows; a record without rows (its tariff is gone) gets 0.00."""
    Tariff = apps.get_model("billing", "Tariff")
    HistoricalTariff = apps.get_model("billing", "HistoricalTariff")
    ActivityRate = apps.get_model("billing", "ActivityRate")
    rates: dict[int, dict[str, object]] = {}
    for row in ActivityRate.objects.all():
        columns = ACTIVITIES.get(row.code)
        if columns is None:
            continue  # an activity added later has no column to go back to
        if columns[4]:
            rates.setdefault(row.tariff_id, {})[columns[4]] = row.hourly_rate
        if columns[5] and row.half_fare_rate is not None:
            rates.setdefault(row.tariff_id, {})[columns[5]] = row.half_fare_rate
    names = [name for row in ACTIVITIES.values() for name in row[4:6] if name]
    for model in (Tariff, HistoricalTariff):
        for record in model.objects.all():
            values = rates.get(record.id, {})
            for name in names:
                setattr(record, name, values.get(name, 0))
            record.save(update_fields=names)


class Migration(migrations.Migration):
    dependencies = [("billing", "0013_activity_rates")]
    operations = [migrations.RunPython(seed_activities, restore_rate_columns)]
