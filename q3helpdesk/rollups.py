"""Adding to a roll-up row: the one upsert the apps' daily roll-ups share.

A roll-up row holds sums for a key (a day, a customer, an activity …). A posting adds its
figures to the row of its key, creating it the first time. Two desks may add to the same
row at once: the ``UPDATE … SET n = n + x`` is atomic in the database, and the insert of a
new row runs in a savepoint, so the one that loses the race on the unique key adds to the
row the other made instead of failing.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import F


def rollup_add(model: type[models.Model], key: dict[str, Any], amounts: dict[str, Any]) -> None:
    """Add ``amounts`` (field → number) to the row of ``model`` with ``key``, in the
    caller's transaction."""
    amounts = {name: value for name, value in amounts.items() if value}
    if not amounts:
        return
    increments = {name: F(name) + value for name, value in amounts.items()}
    rows = model._default_manager.filter(**key)
    if rows.update(**increments):
        return
    try:
        with transaction.atomic():
            model._default_manager.create(**key, **amounts)
    except IntegrityError:  # made by another transaction in the meantime
        rows.update(**increments)
