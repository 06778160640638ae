"""Load customers from ERP files: ``import_customers FILE… [--dry-run] [--language de]``.

Each file is read as the admin's import reads it (CSV or XLSX, see ``customers.erp``); each
customer is applied in its own transaction through the desk's services. Prints every row
that is new, changed (old → new), refused or not applied, and the counts; exits with
status 2 when a file or a row was refused (nothing of a refused customer is written)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from customers.erp.columns import Record
from customers.erp.outcomes import Outcome
from customers.services import erp_import


class Command(BaseCommand):
    help = "Import customers, contacts, licences, rental periods and subscriptions from ERP files."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="CSV or XLSX files")
        parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
        parser.add_argument(
            "--language", default="fr", choices=["fr", "de", "en"], help="of the report (fr)"
        )

    def handle(self, *args, files: list[str], dry_run: bool, language: str, **options):
        refused = False
        with translation.override(language):
            for name in files:
                try:
                    with open(name, "rb") as handle:
                        content = handle.read()
                    report = erp_import(content=content, name=name, dry_run=dry_run)
                except (OSError, ValidationError) as exc:
                    reason = exc.strerror if isinstance(exc, OSError) else " ".join(exc.messages)
                    self.stderr.write(f"{name}: {reason}")
                    refused = True
                    continue
                self._report(name, report)
                refused = refused or bool(report.refused)
            if refused:  # in the report's language too
                raise CommandError(
                    _("Rows or files were refused: nothing of their customers was written."),
                    returncode=2,
                )

    def _report(self, name: str, report) -> None:
        if report.unknown_columns:
            self.stdout.write(
                f"{name}: "
                + _("columns left out: %(columns)s")
                % {"columns": ", ".join(report.unknown_columns)}
            )
        for line in report.lines:
            if line.outcome == Outcome.UNCHANGED:
                continue
            where = f"{line.row.sheet}:{line.row.line}" if line.row.sheet else str(line.row.line)
            record = Record(line.record).label if line.record else "?"
            text = f"{name}:{where} {record} {line.key} – {Outcome(line.outcome).label}"
            changes = "; ".join(
                f"{field}: {new}" if line.outcome == Outcome.NEW else f"{field}: {old} → {new}"
                for field, old, new in line.changes
            )
            self.stdout.write(" ".join(part for part in (text, changes, line.message) if part))
        counts = ", ".join(
            f"{Outcome(outcome).label} {count}" for outcome, count in report.counts.items()
        )
        heading = _("dry run, nothing written") if report.dry_run else _("imported")
        self.stdout.write(f"{name}: {heading}: {counts}")
