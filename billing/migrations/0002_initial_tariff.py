"""The tariff of Q3's support concept, in force since 1 January 2024."""

import datetime
from decimal import Decimal

from django.db import migrations

CREDIT_MINUTES = {
    # variant: (single main module, several main modules)
    "standard": (5, 10),
    "advanced": (10, 15),
    "profi": (15, 25),
    "premium": (25, 35),
}


def create_tariff(apps, schema_editor):
    Tariff = apps.get_model("billing", "Tariff")
    CreditAllowance = apps.get_model("billing", "CreditAllowance")
    tariff, created = Tariff.objects.get_or_create(
        valid_from=datetime.date(2024, 1, 1),
        defaults={
            "note": "Concept de support Q3",
            "rate_support": Decimal("175.00"),
            "half_fare_rate_support": Decimal("119.00"),
            "rate_data_check": Decimal("175.00"),
            "rate_training": Decimal("175.00"),
            "rate_forms": Decimal("175.00"),
            "rate_programming": Decimal("195.00"),
            "unit_minutes": 5,
            "credit_threshold": Decimal("100.00"),
            "support_plus_price": Decimal("565.00"),
            "support_plus_additional_person_price": Decimal("115.00"),
            "support_plus_extra_minutes": 120,
            "support_plus_capacity": 100,
            "half_fare_price": None,
            "vat_rate": Decimal("8.10"),
        },
    )
    if created:
        for variant, (single, several) in CREDIT_MINUTES.items():
            CreditAllowance.objects.create(
                tariff=tariff, variant=variant, several_main_modules=False, minutes=single
            )
            CreditAllowance.objects.create(
                tariff=tariff, variant=variant, several_main_modules=True, minutes=several
            )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(create_tariff, migrations.RunPython.noop)]
