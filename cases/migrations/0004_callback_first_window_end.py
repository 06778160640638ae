from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_first_window_end(apps, schema_editor):
    Callback = apps.get_model("cases", "Callback")
    CallbackWindow = apps.get_model("cases", "CallbackWindow")
    earliest = CallbackWindow.objects.filter(callback=OuterRef("pk")).order_by(
        "starts_at", "ends_at"
    )
    Callback.objects.update(first_window_end=Subquery(earliest.values("ends_at")[:1]))
    # A callback without windows cannot exist through the service; keep the column valid.
    Callback.objects.filter(first_window_end__isnull=True).update(
        first_window_end=models.F("last_window_end")
    )


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_support_emails")]

    operations = [
        migrations.AddField(
            model_name="callback",
            name="first_window_end",
            field=models.DateTimeField(null=True, verbose_name="first window ends"),
        ),
        migrations.RunPython(fill_first_window_end, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="callback",
            name="first_window_end",
            field=models.DateTimeField(verbose_name="first window ends"),
        ),
        migrations.AddIndex(
            model_name="callback",
            index=models.Index(fields=["first_window_start"], name="callback_first_window_idx"),
        ),
    ]
