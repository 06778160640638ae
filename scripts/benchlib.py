"""What the benchmark scripts share: Django set-up, statistics, the environment line,
Markdown tables, ``--json`` output and the demo-data guard of the modes that write.

Imported by ``bench_pages.py``, ``bench_posting.py`` and ``bench_invoices.py`` (run from
this folder, so a plain ``import benchlib`` finds it) and by their tests.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "q3helpdesk.settings")

import django  # noqa: E402
from django.apps import apps  # noqa: E402

if not apps.ready:  # pytest-django has set Django up already
    django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.db.models.functions import Length  # noqa: E402
from django.utils import timezone  # noqa: E402

from billing.models import CreditGrant, Invoice, Usage  # noqa: E402
from cases.models import Callback, Case, InboundEmail, TimeEntry  # noqa: E402
from customers.models import Customer  # noqa: E402
from q3helpdesk.demo.seeding import GENERATED_NUMBER_BASE, non_demo_customers  # noqa: E402


class NotDemoData(Exception):
    """The database holds customers that are not demo data: a writing benchmark refuses."""


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest value with ``fraction`` of the values at or below."""
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]


def spread(times_ms: Sequence[float]) -> dict[str, float | None]:
    """Median, p95 (nearest rank) and maximum of timings in milliseconds; None for none."""
    if not times_ms:
        return {"median_ms": None, "p95_ms": None, "max_ms": None}
    return {
        "median_ms": statistics.median(times_ms),
        "p95_ms": percentile(times_ms, 0.95),
        "max_ms": max(times_ms),
    }


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"


def ms(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table; the columns of figures (by their header's ending) right-aligned."""
    numeric = ("ms", "/s", " s", "count", "pages", "size", "per page", "queries")
    align = ["---:" if h.endswith(numeric) else "---" for h in headers]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def database_version() -> str:
    if connection.vendor == "sqlite":
        import sqlite3

        return sqlite3.sqlite_version
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0]
    return ""


def database_name() -> str:
    db = connection.settings_dict
    return str(db["NAME"]) if connection.vendor == "sqlite" else f"{db.get('HOST')}/{db['NAME']}"


def row_counts() -> dict[str, int]:
    return {
        "customers": Customer.objects.count(),
        "generated customers": generated_customers().count(),
        "cases": Case.objects.filter(kind="case").count(),
        "leads": Case.objects.filter(kind="lead").count(),
        "time entries": TimeEntry.objects.count(),
        "usages": Usage.objects.count(),
        "credit grants": CreditGrant.objects.count(),
        "callbacks": Callback.objects.count(),
        "inbound e-mails": InboundEmail.objects.count(),
        "invoices": Invoice.objects.filter(~Q(status="draft")).count(),
    }


def environment(**extra: object) -> dict[str, Any]:
    """Where the figures come from: database, versions, row counts (and what the caller adds)."""
    return {
        "database": connection.vendor,
        "database_version": database_version(),
        "database_name": database_name(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "debug": bool(settings.DEBUG),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "when": f"{timezone.localtime():%Y-%m-%d %H:%M %Z}",
        "rows": row_counts(),
        **extra,
    }


def environment_text(env: dict[str, Any], how: str) -> str:
    rows = ", ".join(f"{n} {label}" for label, n in env["rows"].items())
    return (
        f"Database: {env['database']} {env['database_version']} ({env['database_name']})\n"
        f"Rows: {rows}\n"
        f"{env['when']}, Python {env['python']}, Django {env['django']}, "
        f"DEBUG {'on' if env['debug'] else 'off'}, {env['cpus']} CPUs (load average "
        f"{' '.join(str(x) for x in env['load_average'])} at the start), {how}"
    )


def write_json(path: str | None, payload: dict[str, Any]) -> None:
    if path:
        Path(path).write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"\nJSON written to {path}", file=sys.stderr)


def generated_customers():
    """The customers ``seed_demo --scale`` generated (numbers from 100001)."""
    return Customer.objects.annotate(digits=Length("number")).filter(
        digits__gte=len(str(GENERATED_NUMBER_BASE + 1)), number__gt=str(GENERATED_NUMBER_BASE)
    )


def require_demo_data() -> None:
    """Refuse to write into a database that holds customers that are not demo data."""
    others = non_demo_customers()
    count = others.count()
    if count:
        sample = ", ".join(others.order_by("number").values_list("number", flat=True)[:5])
        raise NotDemoData(
            f"The database holds {count} customers that are not demo data (e.g. {sample}): "
            "this benchmark writes and runs only on demo data (manage.py seed_demo)."
        )


def production_like() -> None:
    """DEBUG off as in production: no query log growing with every statement."""
    settings.DEBUG = False
