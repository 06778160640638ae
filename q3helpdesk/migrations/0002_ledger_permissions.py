"""Billing and Manager may audit the credit grants and the usage ledger."""

from django.db import migrations

from q3helpdesk.roles import sync_role_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("q3helpdesk", "0001_roles"),
        ("billing", "0003_ledger"),
    ]
    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]
