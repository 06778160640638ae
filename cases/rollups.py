"""The daily roll-up of cases (``cases.models.DailyCases``): cases and leads opened and
cases resolved per day (in Zurich) and channel, for the dashboard.

``case_create`` adds the opening, the status changes of ``cases.services`` move a
resolution (resolved, reopened, resolved again); :func:`case_rollups_rebuild` derives
the rows again from the cases.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from q3helpdesk.rollups import rollup_add

from .models import Case, DailyCases


def _key(case: Case, instant: datetime) -> dict:
    return {"day": timezone.localdate(instant), "channel": case.channel, "kind": case.kind}


def rollup_case_opened(case: Case) -> None:
    rollup_add(DailyCases, _key(case, case.created_at), {"opened": 1})


def rollup_case_resolution(case: Case, before: datetime | None) -> None:
    """The case's resolution moved from ``before`` to ``case.resolved_at`` (either None)."""
    if before == case.resolved_at:
        return
    if before is not None:
        rollup_add(DailyCases, _key(case, before), {"resolved": -1})
    if case.resolved_at is not None:
        rollup_add(DailyCases, _key(case, case.resolved_at), {"resolved": 1})


def case_rollups_rebuild() -> int:
    """Derive the roll-up again from the cases: returns the rows written."""
    counts: Counter = Counter()
    with transaction.atomic():
        DailyCases.objects.all().delete()
        for field, figure in (("created_at", "opened"), ("resolved_at", "resolved")):
            rows = (
                Case.objects.filter(**{f"{field}__isnull": False})
                .order_by()
                .annotate(day=TruncDate(field))
                .values("day", "channel", "kind")
                .annotate(n=Count("id"))
            )
            for row in rows:
                counts[(row["day"], row["channel"], row["kind"], figure)] += row["n"]
        keys = sorted({key[:3] for key in counts})
        rows_made = DailyCases.objects.bulk_create(
            DailyCases(
                day=day,
                channel=channel,
                kind=kind,
                opened=counts[(day, channel, kind, "opened")],
                resolved=counts[(day, channel, kind, "resolved")],
            )
            for day, channel, kind in keys
        )
    return len(rows_made)
