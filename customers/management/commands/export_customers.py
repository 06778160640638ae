"""Write the customer base as an ERP file: ``export_customers FILE [--language de]``; the
format follows the file's name (.csv or .xlsx). ``import_customers`` reads it back."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from customers.erp.writing import erp_export


class Command(BaseCommand):
    help = "Export customers, contacts, licences, rental periods and subscriptions for the ERP."

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="a .csv or .xlsx file to write")
        parser.add_argument(
            "--language", default="fr", choices=["fr", "de", "en"], help="of the headers (fr)"
        )

    def handle(self, *args, file: str, language: str, **options):
        path = Path(file)
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in ("csv", "xlsx"):
            raise CommandError("FILE must end in .csv or .xlsx")
        export = erp_export(fmt=fmt, language=language)
        try:
            path.write_bytes(export.content)
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from exc
        with translation.override(language):
            self.stdout.write(
                _("%(customers)s customers, %(rows)s rows written to %(file)s.")
                % {"customers": export.customers, "rows": export.rows, "file": file}
            )
            if export.unnumbered:
                self.stdout.write(
                    _(
                        "%(count)s licences without an ERP licence number are left out: give"
                        " them their number in the admin."
                    )
                    % {"count": export.unnumbered}
                )
