"""The four role groups of the desk with their permissions."""

from django.db import migrations

from q3helpdesk.roles import sync_role_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("customers", "0002_modules"),
        ("billing", "0002_initial_tariff"),
    ]
    operations = [migrations.RunPython(sync_role_permissions, migrations.RunPython.noop)]
