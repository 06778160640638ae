"""Billing imports the customer base from the ERP and exports it."""

from django.db import migrations

from q3helpdesk.roles import sync_role_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("q3helpdesk", "0005_invoice_permissions"),
        ("customers", "0007_erp_import"),
    ]
    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]
