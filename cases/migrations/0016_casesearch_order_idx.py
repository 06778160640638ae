"""The search rows in the list's order without the rank: urgent first, then newest. A word
found in more than ``cases.selectors.RANKED_MATCHES`` cases lists its matches in this order,
read from the index's start (fifty rows for a page), instead of ranking thousands of them.

Every search row has its case's date: any row still without one (written before the copy
of 0015) takes it from its case, and the column is then required."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_missing_dates(apps, schema_editor):
    case = apps.get_model("cases", "Case").objects.filter(pk=OuterRef("case_id"))
    apps.get_model("cases", "CaseSearch").objects.filter(created_at__isnull=True).update(
        created_at=Subquery(case.values("created_at"))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0015_casesearch_order"),
    ]

    operations = [
        migrations.RunPython(copy_missing_dates, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="casesearch",
            name="created_at",
            field=models.DateTimeField(),
        ),
        migrations.AddIndex(
            model_name="casesearch",
            index=models.Index(
                models.F("urgent").desc(),
                models.F("created_at").desc(),
                models.F("case").desc(),
                name="casesearch_order_idx",
            ),
        ),
    ]
