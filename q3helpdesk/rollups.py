"""Adding to a roll-up row: the one upsert the apps' daily roll-ups share.

A roll-up row holds sums for a key (a day, a customer, an activity …). A posting adds its
figures to the row of its key, creating it the first time, in one statement:
``INSERT … ON CONFLICT (key) DO UPDATE SET n = n + excluded.n`` (PostgreSQL and SQLite
3.24+). Two desks may add to the same row at once: the database turns the second insert
into the addition, so neither fails nor loses its figures.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import connection, models


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.column:
        raise ValueError(f"{model.__name__}.{name} is not a column")
    return field.column


def _conflict_columns(model: type[models.Model], key: tuple[str, ...]) -> list[str]:
    """The columns of the unique constraint that ``key`` names (it must name one exactly)."""
    names = {model._meta.get_field(name).name for name in key}
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and set(constraint.fields) == names:
            return [_column(model, name) for name in constraint.fields]
    raise ValueError(f"{model.__name__} has no unique constraint on {sorted(names)}")


@functools.cache
def _upsert_sql(model: type[models.Model], key: tuple[str, ...], added: tuple[str, ...]) -> str:
    """The statement adding the fields ``added`` to the row of ``key`` (field names); the
    values of every concrete field but the primary key follow as parameters."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [quote(f.column) for f in model._meta.concrete_fields if not f.primary_key]
    increments = [quote(_column(model, name)) for name in added]
    conflict = [quote(c) for c in _conflict_columns(model, key)]
    return (
        f"INSERT INTO {table} ({', '.join(columns)})"  # noqa: S608 - names from the model
        f" VALUES ({', '.join(['%s'] * len(columns))})"
        f" ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET "
        + ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in increments)
    )


def rollup_add(model: type[models.Model], key: dict[str, Any], amounts: dict[str, Any]) -> None:
    """Add ``amounts`` (field → number) to the row of ``model`` with ``key`` (the fields of
    one of its unique constraints), in the caller's transaction: one query."""
    amounts = {name: value for name, value in amounts.items() if value}
    if not amounts:
        return
    row = model(**key, **amounts)  # the other fields at their defaults, for a new row
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    params = [f.get_db_prep_save(f.pre_save(row, add=True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(model, tuple(key), tuple(amounts)), params)
