"""Billing drafts, issues and cancels invoices; the Manager reads them."""

from django.db import migrations

from q3helpdesk.roles import sync_role_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("q3helpdesk", "0004_callback_permissions"),
        ("billing", "0007_invoices"),
    ]
    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]
