"""The search row keeps a copy of what the search's order needs of its case: whether the
case is urgent (Support+ and open or waiting) and when it was opened. The text search sorts
its matches best first, then urgent, then newest; with the copy the matches are sorted and
cut to a page on the search rows alone, and only that page is joined to its cases."""

from django.db import migrations, models
from django.db.models import ExpressionWrapper, OuterRef, Q, Subquery


def copy_order(apps, schema_editor):
    case = apps.get_model("cases", "Case").objects.filter(pk=OuterRef("case_id"))
    urgent = ExpressionWrapper(
        Q(support_plus=True, status__in=("open", "waiting")), output_field=models.BooleanField()
    )
    apps.get_model("cases", "CaseSearch").objects.update(
        urgent=Subquery(case.annotate(urgent=urgent).values("urgent")),
        created_at=Subquery(case.values("created_at")),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0014_case_follows_idx"),
    ]

    operations = [
        migrations.AddField(
            model_name="casesearch",
            name="urgent",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddField(
            model_name="casesearch",
            name="created_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(copy_order, migrations.RunPython.noop),
    ]
