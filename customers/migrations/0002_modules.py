"""The modules of Q3's software: the four main modules decide the credit column (R3)."""

from django.db import migrations

MODULES = [
    ("COFI", "Comptabilité financière", True),
    ("SAL", "Salaires", True),
    ("FAC", "Factures", True),
    ("CRE", "Créanciers", True),
    ("DEB", "Débiteurs", False),
    ("STK", "Gestion de stock", False),
    ("IMMO", "Immobilisations", False),
    ("BANK", "E-banking", False),
    ("BUD", "Budget et analyses", False),
]


def create_modules(apps, schema_editor):
    Module = apps.get_model("customers", "Module")
    for code, name, is_main in MODULES:
        Module.objects.update_or_create(code=code, defaults={"name": name, "is_main": is_main})


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(create_modules, migrations.RunPython.noop)]
