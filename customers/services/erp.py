"""Loading the customer base from the ERP: a file's customers, contacts, licences, rental
periods and subscriptions, created or changed through the services of this package.

One transaction per customer: a customer's rows are applied together or not at all (a
customer half imported would show the desk a licence without its periods, or Support+
without its licence); a refused row leaves its customer as it was and the other customers
go on. The report says of each row: new, changed (old → new), unchanged, refused with the
reason, or not applied (another row of its customer was refused). A dry run checks every
row with the same services and rolls every customer back. Importing the same file again
changes nothing; the import never deletes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..erp.applying import Outcome, apply_customer
from ..erp.reading import read_erp_file
from ..erp.records import Line, customer_lines


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


def erp_import(*, content: bytes, name: str = "", dry_run: bool = False) -> ErpReport:
    """Import an ERP file (CSV or XLSX, see ``customers.erp``); raises ``ValidationError``
    when the file as a whole cannot be read (nothing is written then)."""
    erp = read_erp_file(content=content, name=name)
    report = ErpReport(dry_run, erp.format, erp.encoding, unknown_columns=erp.unknown_columns)
    groups, orphans = customer_lines(erp)
    for line in orphans:
        line.outcome = Outcome.REFUSED
    for group in groups:
        apply_customer(group, dry_run=dry_run)
    every = [*orphans, *(line for group in groups for line in group.lines)]
    report.lines = sorted(every, key=lambda line: (line.row.sheet, line.row.line))
    return report
