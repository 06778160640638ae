#!/usr/bin/env python
"""The ERP import at scale: a generated customer base loaded from a file, then again.

    .venv/bin/python scripts/bench_import.py --write [--customers 10000] [--json FILE]

Writes an ERP file (CSV, the layout of ``customers.erp``) for ``--customers`` customers,
each with a contact (a second one for one in five), a rental licence (a second one for one
in seven) with its rental period of this year (and last year's for one in three), and a
half-fare subscription for one in four; then times, on the configured database:

1. the dry run (every row checked with the services' checks, nothing written);
2. the import (the new customers written 500 per transaction, their credit derived by the
   ledger once per chunk, see ``customers.erp.bulk``);
3. the same file again (every row unchanged, compared a chunk at once, nothing written).

**This writes to the database** and keeps what it imported: it runs only with ``--write``,
never beside real customers (demo data at most, see ``benchlib.require_demo_data``), and
into a database that does not hold the file's customers yet (a first load).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

try:
    import benchlib  # sets Django up: before any import of the project
except ModuleNotFoundError:  # imported from elsewhere (the tests): it sits next to this file
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import benchlib

from django.utils import timezone

from customers.erp.outcomes import Outcome
from customers.models import Customer
from customers.services import erp_import

COLUMNS = (
    ("record", "Type"),
    ("number", "N° client"),
    ("name", "Nom"),
    ("street", "Rue"),
    ("house", "N° rue"),
    ("postcode", "NPA"),
    ("city", "Localité"),
    ("language", "Langue"),
    ("email", "E-mail"),
    ("phone", "Téléphone"),
    ("role", "Fonction"),
    ("licence", "N° licence"),
    ("kind", "Type de licence"),
    ("variant", "Variante"),
    ("modules", "Modules"),
    ("start", "Début"),
    ("end", "Fin"),
    ("rent", "Loyer annuel"),
)
FIRST_NUMBER = "300001"  # the file's customers: apart from the demo's numbers
VARIANTS = ("Standard", "Advanced", "Profi", "Premium")
MODULES = ("COFI", "COFI, SAL", "COFI, FAC, DEB", "SAL")


def _line(**cells: str) -> str:
    return ";".join(cells.get(key, "") for key, _header in COLUMNS)


def erp_file(customers: int) -> bytes:
    """The CSV an ERP would export for ``customers`` customers (Windows-1252, ``;``)."""
    year = timezone.localdate().year
    this_year = (f"01.01.{year}", f"31.12.{year}")
    last_year = (f"01.01.{year - 1}", f"31.12.{year - 1}")
    lines = [";".join(header for _key, header in COLUMNS)]
    for n in range(customers):
        number = str(int(FIRST_NUMBER) + n)
        lines.append(
            _line(
                record="Client",
                number=number,
                name=f"Fiduciaire Exemple {n} SA",
                street="Rue du Lac",
                house=str(n % 90 + 1),
                postcode=str(1200 + n % 700),
                city=("Genève", "Zürich", "Bern", "Lausanne", "Biel/Bienne")[n % 5],
                language="de" if n % 3 else "fr",
                email=f"info{n}@exemple.ch",
                phone=f"031 {300 + n % 600:03d} {n % 100:02d} {(n // 100) % 100:02d}",
            )
        )
        for c in range(2 if n % 5 == 0 else 1):
            lines.append(
                _line(
                    record="Contact",
                    number=number,
                    name=f"Personne {n}-{c} Müller",
                    role="Comptable",
                )
            )
        for k in range(2 if n % 7 == 0 else 1):
            licence = f"L{number}-{k}"
            lines.append(
                _line(
                    record="Licence",
                    number=number,
                    licence=licence,
                    kind="location",
                    variant=VARIANTS[(n + k) % 4],
                    modules=f'"{MODULES[(n + k) % 4]}"',
                )
            )
            rent = f"{480 + (n % 20) * 60}.00"
            for start, end in (last_year, this_year) if n % 3 == 0 else (this_year,):
                lines.append(
                    _line(
                        record="Période",
                        number=number,
                        licence=licence,
                        start=start,
                        end=end,
                        rent=rent,
                    )
                )
        if n % 4 == 0:
            lines.append(
                _line(record="Demi-tarif", number=number, start=this_year[0], end=this_year[1])
            )
    return ("\r\n".join(lines) + "\r\n").encode("windows-1252")


def timed(label: str, content: bytes, *, dry_run: bool) -> dict:
    started = time.perf_counter()
    report = erp_import(content=content, name="erp.csv", dry_run=dry_run)
    seconds = time.perf_counter() - started
    counts = {Outcome(k).label: v for k, v in report.counts.items() if v}
    print(
        f"| {label} | {len(report.lines)} | {seconds:.1f} | {len(report.lines) / seconds:.0f} | "
        f"{', '.join(f'{k} {v}' for k, v in counts.items())} |"
    )
    return {
        "step": label,
        "rows": len(report.lines),
        "seconds": round(seconds, 2),
        "counts": report.counts,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="really import (writes, kept)")
    parser.add_argument("--customers", type=int, default=10000, help="in the file (10000)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    if not args.write:
        parser.error("this benchmark imports into the database: run it with --write")
    try:
        benchlib.require_demo_data()  # never beside real customers
    except benchlib.NotDemoData as exc:
        sys.exit(str(exc))
    if Customer.objects.filter(number__in=[FIRST_NUMBER, str(int(FIRST_NUMBER) + 1)]).exists():
        sys.exit("The database holds the file's customers already: load into a fresh one.")
    benchlib.production_like()
    content = erp_file(args.customers)
    env = benchlib.environment(customers_in_file=args.customers, bytes=len(content))
    print(
        benchlib.environment_text(
            env, f"{args.customers} customers in the file ({len(content) // 1024} KB)"
        )
    )
    print("\n| step | rows | seconds | rows/s | outcome |\n|---|---:|---:|---:|---|")
    steps = [
        timed("dry run", content, dry_run=True),
        timed("import", content, dry_run=False),
        timed("the same file again", content, dry_run=False),
    ]
    benchlib.write_json(args.json, {"environment": env, "steps": steps, "today": date.today()})


if __name__ == "__main__":
    main()
