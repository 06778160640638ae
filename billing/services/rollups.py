"""The ledger's roll-ups: the daily rows of ``billing.models.rollups`` and each grant's
``used_minutes``, added to by every posting, derived again from the ledger by
:func:`ledger_rollups_rebuild`.

``record_usage`` and ``usage_reverse`` call :func:`rollup_posting` in their transaction
while they hold the customer's lock; the rows are per customer, so two desks never add to
the same row at once (``rollup_add`` copes if they did).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from q3helpdesk.rollups import rollup_add

from ..models import CreditGrant, DailyCredit, DailyUsage, Usage, UsageDraw
from ..rules import summed_money

BATCH = 2000


def credit_kind(grant: CreditGrant) -> tuple[str, str]:
    """The row of ``DailyCredit`` a draw on ``grant`` counts in: its source and its
    licence's variant ("" for Support+). Reads the grant's licence unless it was loaded
    with ``select_related("rental_period__licence")``."""
    period = grant.rental_period
    return grant.source, (period.licence.variant if period is not None else "")


def rollup_posting(
    usage: Usage,
    draws: Iterable[tuple[int, int]],
    *,
    kinds: Mapping[int, tuple[str, str]] | None = None,
) -> None:
    """Add a posting (or a reversal, with its negative figures) and its draws (grant id,
    minutes) to the rows of its day: 1 query, and 2 per grant drawn (its use, its kind's
    row); ``kinds`` (grant id → :func:`credit_kind`) saves reading the grants' kinds."""
    rollup_add(
        DailyUsage,
        {"day": usage.performed_on, "customer_id": usage.customer_id, "activity": usage.activity},
        {
            "postings": 1,
            "charged_minutes": usage.charged_minutes,
            "free_minutes": usage.free_minutes,
            "credit_minutes": usage.credit_minutes,
            "billable_minutes": usage.billable_minutes,
            "amount": usage.amount,
        },
    )
    minutes = Counter(dict(draws))
    if not minutes:
        return
    for pk, drawn_minutes in sorted(minutes.items()):
        CreditGrant.objects.filter(pk=pk).update(used_minutes=F("used_minutes") + drawn_minutes)
    if kinds is None or not set(minutes) <= set(kinds):
        kinds = {
            pk: (source, variant or "")
            for pk, source, variant in CreditGrant.objects.filter(pk__in=minutes).values_list(
                "pk", "source", "rental_period__licence__variant"
            )
        }
    drawn: Counter = Counter()
    for pk, kind in kinds.items():
        if pk in minutes:
            drawn[kind] += minutes[pk]
    for (source, variant), total in sorted(drawn.items()):
        rollup_add(
            DailyCredit,
            {
                "day": usage.performed_on,
                "customer_id": usage.customer_id,
                "source": source,
                "variant": variant,
            },
            {"minutes": total},
        )


def ledger_rollups_rebuild() -> tuple[int, int]:
    """Derive the daily roll-ups again from the ledger (after rows written past the
    services, e.g. the demo seeding's bulk inserts): returns the rows written."""
    with transaction.atomic():
        drawn = (
            UsageDraw.objects.filter(grant=OuterRef("pk"))
            .order_by()
            .values("grant")
            .annotate(total=Sum("minutes"))
            .values("total")
        )
        CreditGrant.objects.update(
            used_minutes=Coalesce(Subquery(drawn), Value(0), output_field=IntegerField())
        )
        DailyUsage.objects.all().delete()
        DailyCredit.objects.all().delete()
        usages = (
            Usage.objects.order_by()
            .values("performed_on", "customer_id", "activity")
            .annotate(
                n=Count("id"),
                charged=Sum("charged_minutes"),
                free=Sum("free_minutes"),
                credit=Sum("credit_minutes"),
                billable=Sum("billable_minutes"),
                money=Sum("amount"),
            )
        )
        written = DailyUsage.objects.bulk_create(
            (
                DailyUsage(
                    day=row["performed_on"],
                    customer_id=row["customer_id"],
                    activity=row["activity"],
                    postings=row["n"],
                    charged_minutes=row["charged"],
                    free_minutes=row["free"],
                    credit_minutes=row["credit"],
                    billable_minutes=row["billable"],
                    amount=summed_money(row["money"]),
                )
                for row in usages.iterator(chunk_size=BATCH)
            ),
            batch_size=BATCH,
        )
        draws = (
            UsageDraw.objects.order_by()
            .values(
                "usage__performed_on",
                "usage__customer_id",
                "grant__source",
                "grant__rental_period__licence__variant",
            )
            .annotate(minutes_sum=Sum("minutes"))
        )
        credit = DailyCredit.objects.bulk_create(
            (
                DailyCredit(
                    day=row["usage__performed_on"],
                    customer_id=row["usage__customer_id"],
                    source=row["grant__source"],
                    variant=row["grant__rental_period__licence__variant"] or "",
                    minutes=row["minutes_sum"],
                )
                for row in draws.iterator(chunk_size=BATCH)
            ),
            batch_size=BATCH,
        )
    return len(written), len(credit)
