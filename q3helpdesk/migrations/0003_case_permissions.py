"""The desk works cases; Billing and Manager read them."""

from django.db import migrations

from q3helpdesk.roles import sync_role_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("q3helpdesk", "0002_ledger_permissions"),
        ("cases", "0001_initial"),
    ]
    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]
