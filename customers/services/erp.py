"""Loading the customer base from the ERP: a file's customers, contacts, licences, rental
periods and subscriptions, created or changed through the services of this package.

One transaction per customer: a customer's rows are applied together or not at all (a
customer half imported would show the desk a licence without its periods, or Support+
without its licence); a refused row leaves its customer as it was and the other customers
go on. New customers whose rows all pass are written at once, a chunk of them per
transaction, with the same outcome (``customers.erp.bulk``): a first load of thousands of
customers takes seconds, not minutes.

The report says of each row: new, changed (old → new), unchanged, refused with the
reason, or not applied (another row of its customer was refused). A dry run checks every
row with the same services and rolls every customer back. Importing the same file again
changes nothing; the import never deletes.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from simple_history.models import HistoricalRecords

from q3helpdesk.guards import service

from ..erp.applying import apply_customer
from ..erp.bulk import CHUNK, apply_new_customers
from ..erp.columns import Record
from ..erp.outcomes import Outcome
from ..erp.reading import read_erp_file
from ..erp.records import CustomerLines, Line, SpanRecord, customer_lines
from ..erp.saved import SavedChunk
from ..models import ErpImport, ErpImportStatus

logger = logging.getLogger(__name__)

UPLOAD_LOOK_ROWS = 100  # rows of an upload read while the user waits


@dataclass
class ErpReport:
    """What an import did (or, on a dry run, would do) with each row of the file."""

    dry_run: bool
    format: str
    encoding: str
    lines: list[Line] = field(default_factory=list)  # in the file's order
    unknown_columns: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(line.outcome for line in self.lines)
        return {outcome: counted.get(outcome, 0) for outcome in Outcome.values}

    @property
    def refused(self) -> list[Line]:
        return [line for line in self.lines if line.outcome == Outcome.REFUSED]


@service
def erp_import(*, content: bytes, name: str = "", dry_run: bool = False) -> ErpReport:
    """Import an ERP file (CSV or XLSX, see ``customers.erp``); raises ``ValidationError``
    when the file as a whole cannot be read (nothing is written then)."""
    erp = read_erp_file(content=content, name=name)
    report = ErpReport(dry_run, erp.format, erp.encoding, unknown_columns=erp.unknown_columns)
    groups, orphans = customer_lines(erp)
    for line in orphans:
        line.outcome = Outcome.REFUSED
    places: list[CustomerLines] = []  # a dry run's customers with Support+ rows
    for start in range(0, len(groups), CHUNK):
        # New customers whose rows all pass are written at once, the others one by one;
        # the saved rows of those read at once, to pass over the unchanged customers.
        rest = apply_new_customers(groups[start : start + CHUNK], dry_run=dry_run)
        saved = SavedChunk(rest) if rest else None
        for group in rest:
            if dry_run and _has_support_plus(group):
                places.append(group)
                continue
            apply_customer(group, dry_run=dry_run, chunk=saved)
    if places:
        _check_support_plus_together(places)
    every = [*orphans, *(line for group in groups for line in group.lines)]
    report.lines = sorted(every, key=lambda line: (line.row.sheet, line.row.line))
    return report


def _has_support_plus(group: CustomerLines) -> bool:
    return bool(group.of(Record.SUPPORT_PLUS, SpanRecord))


def _check_support_plus_together(groups: list[CustomerLines]) -> None:
    """The dry run of the customers with Support+ rows: applied for real, in the file's
    order, in one transaction rolled back at the end. Support+ places count across all
    customers (R7): checked one by one and each rolled back, every new subscription of the
    file would find the places the file's earlier ones take still free, and the check would
    pass what the import then refuses. Unchanged customers are passed over without a write
    (the saved rows read at once), so the transaction lasts as long as the file's Support+
    changes take — few, as Support+ places are."""
    saved = SavedChunk(groups)
    with transaction.atomic():
        for group in groups:
            apply_customer(group, dry_run=False, chunk=saved)
        transaction.set_rollback(True)


# --- an upload, checked and confirmed in the background ---------------------------------


def _tasks():
    from .. import tasks  # the worker's module imports these services

    return tasks


@service
@transaction.atomic
def erp_import_upload(
    *, content: bytes, name: str, language: str = "fr", created_by: User | None = None
) -> ErpImport:
    """Keep an uploaded ERP file and queue its dry run. A file whose start cannot be read
    (no header, not a workbook, neither UTF-8 nor Windows-1252) is refused now, with the
    reason; what is wrong further down, the worker's check reports. Nothing of the customer
    base is written until the upload is confirmed (:func:`erp_import_confirm`)."""
    # A quick look while the user waits (header, encoding, the first rows); the worker reads
    # the whole file and says what else is wrong with it (a 100 000-row workbook takes half
    # a minute to read).
    read_erp_file(content=content, name=name, head=UPLOAD_LOOK_ROWS)
    digest = hashlib.sha256(content).hexdigest()[:12]
    upload = ErpImport(name=name[:200], language=language[:2], created_by=created_by)
    upload.file.save(f"{digest}-{name[-80:]}", ContentFile(content), save=False)
    upload.save()
    transaction.on_commit(lambda: _tasks().erp_import_run.enqueue(upload.pk, False))
    return upload


@service
@transaction.atomic
def erp_import_confirm(*, upload: ErpImport, confirmed_by: User | None = None) -> ErpImport:
    """Import a checked upload for good (in the background): the same rows with the same
    services and checks, one transaction per customer (per chunk for new customers)."""
    upload = ErpImport.objects.select_for_update().get(pk=upload.pk)
    if upload.status != ErpImportStatus.CHECKED:
        raise ValidationError(_("Only a checked file can be imported, and only once."))
    upload.status, upload.confirmed_by = ErpImportStatus.APPLYING, confirmed_by
    upload.save(update_fields=["status", "confirmed_by"])
    transaction.on_commit(lambda: _tasks().erp_import_run.enqueue(upload.pk, True))
    return upload


@service
def erp_import_run(*, upload: ErpImport, apply: bool) -> ErpImport:
    """The worker's part: the dry run of an upload, or its import; the report is kept on
    the upload. A run that fails is marked failed, with the reason."""
    # The history of what the import writes names who confirmed it (or uploaded it), as
    # the history middleware does for the desk's requests.
    who = upload.confirmed_by or upload.created_by
    before = getattr(HistoricalRecords.context, "request", None)
    HistoricalRecords.context.request = SimpleNamespace(user=who) if who else None
    try:
        with upload.file.open("rb") as handle:
            content = handle.read()
        with translation.override(upload.language):
            report = erp_import(content=content, name=upload.name, dry_run=not apply)
            rows = [_row(line) for line in report.lines]
    except ValidationError as exc:
        upload.status, upload.error = ErpImportStatus.FAILED, " ".join(exc.messages)
    except Exception:
        logger.exception("ERP import %s failed", upload.pk)
        with translation.override(upload.language):
            upload.status = ErpImportStatus.FAILED
            upload.error = _("The file could not be processed: the error is logged.")
    else:
        upload.status = ErpImportStatus.APPLIED if apply else ErpImportStatus.CHECKED
        upload.counts, upload.rows = report.counts, rows
        upload.unknown_columns = report.unknown_columns
    finally:
        HistoricalRecords.context.request = before
    upload.finished_at = timezone.now()
    upload.save()
    return upload


def _row(line: Line) -> dict:
    return {
        "line": line.row.line,
        "sheet": line.row.sheet,
        "record": line.record or "",
        "customer": line.customer,
        "key": line.key,
        "outcome": line.outcome,
        "changes": [list(change) for change in line.changes],
        "message": line.message,
    }
