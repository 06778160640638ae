"""The desk schedules and works callbacks; Billing and Manager read them."""

from django.db import migrations

from q3helpdesk.roles import sync_role_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("q3helpdesk", "0003_case_permissions"),
        ("cases", "0002_callbacks"),
    ]
    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]
