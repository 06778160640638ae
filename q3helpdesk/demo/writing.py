"""Writing the demo's planned cases, ledger and callbacks in bulk, with their historic
instants (``bulk_create`` would stamp ``auto_now``/``auto_now_add`` fields with the
present, so those stamps are switched off while the planned rows are inserted)."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import connection
from django.db.models import FileField, Model
from django.db.models.base import ModelState

from billing.models import Invoice, InvoiceLine, InvoiceLineUsage, Usage, UsageDraw
from cases.models import Callback, CallbackAttempt, CallbackWindow, Case, CaseKind, TimeEntry

from .planning import PlannedCase

if TYPE_CHECKING:
    from .ledger import CustomerLedger

BATCH = 2000
_M = TypeVar("_M", bound=Model)
SECONDS: dict[str, float] = defaultdict(
    float
)  # seconds per phase of the seeding (``seed_demo -v 2``)


@contextmanager
def phase(name: str) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        SECONDS[name] += time.monotonic() - started


@contextmanager
def historic_instants(*fields: tuple[Any, str]) -> Iterator[None]:
    """Let ``bulk_create`` store the instants set on the rows for these (model, field)s."""
    saved = []
    for model, name in fields:
        field = model._meta.get_field(name)
        saved.append((field, field.auto_now, field.auto_now_add))
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


_DEFAULTS: dict[type, dict[str, object]] = {}


def build(model: type[_M], related: dict[str, Model] | None = None, **values) -> _M:
    """An unsaved row of ``model`` made without ``Model.__init__`` (which costs more than
    the rest of the seeding per row): the fields' defaults, ``values`` by attribute name
    (``customer_id``…), and ``related`` rows not saved yet, by field name, whose keys
    :func:`insert` takes once they have them."""
    defaults = _DEFAULTS.get(model)
    if defaults is None:
        defaults = {f.attname: f.get_default() for f in model._meta.concrete_fields}
        _DEFAULTS[model] = defaults
    obj = model.__new__(model)
    obj.__dict__.update(defaults)
    obj.__dict__.update(values)
    obj._state = ModelState()
    if related:
        obj._state.fields_cache.update(related)
    return obj


def allocate_ids(model: Any, objs: list) -> None:
    """Give unsaved rows their primary keys ahead of the insert, so that the rows pointing
    at them (and the invoices holding them) can be planned before they are written.

    PostgreSQL: from the table's sequence. SQLite (a developer's database, one writer):
    after the largest key, inside the seeding's transaction.
    """
    if not objs:
        return
    opts = model._meta
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [opts.db_table, opts.pk.column, len(objs)],
            )
            ids = [pk for (pk,) in cursor.fetchall()]
        else:
            table, column = (connection.ops.quote_name(n) for n in (opts.db_table, opts.pk.column))
            cursor.execute(f"SELECT COALESCE(MAX({column}), 0) FROM {table}")  # noqa: S608
            last = cursor.fetchone()[0]
            ids = list(range(last + 1, last + 1 + len(objs)))
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk


def insert(model: Any, objs: list) -> None:
    """Insert planned rows in bulk: on PostgreSQL with ``COPY`` (the rows have their keys
    from :func:`allocate_ids`), elsewhere with ``bulk_create``.

    ``COPY`` skips what ``bulk_create`` does per value in Python (the seeding's rows hold
    plain dates, numbers and texts); foreign keys are taken from the related rows, and
    ``auto_now``/``auto_now_add`` stamps applied as ``bulk_create`` would.
    """
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=BATCH)
        for obj in objs:
            obj._state.adding = False
        return
    fields = list(model._meta.concrete_fields)
    relations: list[Any] = [f for f in fields if f.is_relation]
    stamped = [
        f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    for obj in objs:
        for f in relations:
            if getattr(obj, f.attname) is None:
                related = f.get_cached_value(obj, None)
                if related is not None:
                    setattr(obj, f.attname, related.pk)
        for f in stamped:
            f.pre_save(obj, True)
        obj._state.adding = False
    # Django's own fields store the value as it is; others (a phone number, a file) are
    # asked for their database value.
    simple = [
        type(f).__module__.startswith("django.db.models") and not isinstance(f, FileField)
        for f in fields
    ]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for obj in objs:
            row = []
            for f, plain in zip(fields, simple, strict=True):
                value = getattr(obj, f.attname)
                if not plain:
                    value = f.get_db_prep_save(value, connection)
                elif isinstance(value, Enum):  # choices: their value, not their name
                    value = value.value
                row.append(value)
            copy.write_row(row)


def write_cases(planned: list[PlannedCase], counts: Counter) -> None:
    for p in planned:
        p.case.created_at, p.case.updated_at = p.created_at, p.updated_at
    cases = [p.case for p in planned]
    allocate_ids(Case, cases)
    with historic_instants((Case, "created_at"), (Case, "updated_at")):
        insert(Case, cases)
    counts["cases"] += sum(p.case.kind == CaseKind.CASE for p in planned)
    counts["leads"] += sum(p.case.kind == CaseKind.LEAD for p in planned)


def write_ledger(ledgers: list[CustomerLedger], planned: list[PlannedCase], counts: Counter):
    """The usages (with their keys, see :func:`allocate_ids`), their draws, the time
    entries, and the callbacks of the cases."""
    insert(Usage, [u for ledger in ledgers for u in ledger.usages])
    draws = [
        build(UsageDraw, {"usage": usage}, grant_id=grant_id, minutes=minutes)
        for ledger in ledgers
        for usage, grant_id, minutes in ledger.draws
    ]
    allocate_ids(UsageDraw, draws)
    insert(UsageDraw, draws)
    entries = [p.entry for ledger in ledgers for p in ledger.posted]
    allocate_ids(TimeEntry, entries)
    with historic_instants((TimeEntry, "created_at")):
        insert(TimeEntry, entries)
    counts["time_entries"] += len(entries)
    _write_callbacks(planned, counts)


def _write_callbacks(planned: list[PlannedCase], counts: Counter) -> None:
    with_callback = [p.callback for p in planned if p.callback is not None]
    for c in with_callback:
        c.callback.created_at = c.requested_at
    callbacks = [c.callback for c in with_callback]
    windows = [
        CallbackWindow(callback=c.callback, starts_at=start, ends_at=end)
        for c in with_callback
        for start, end in c.windows
    ]
    attempts = [
        CallbackAttempt(callback=c.callback, outcome=outcome, by=c.callback.claimed_by, at=at)
        for c in with_callback
        for at, outcome in c.attempts
    ]
    for model, rows in (
        (Callback, callbacks),
        (CallbackWindow, windows),
        (CallbackAttempt, attempts),
    ):
        allocate_ids(model, rows)
    with historic_instants((Callback, "created_at"), (CallbackAttempt, "at")):
        insert(Callback, callbacks)
        insert(CallbackWindow, windows)
        insert(CallbackAttempt, attempts)
    counts["callbacks"] += len(callbacks)
    counts["callback_attempts"] += len(attempts)


def analyze() -> None:
    """Refresh the statistics of the tables the seeding fills in bulk (the pages and the
    checks query them right after). PostgreSQL's planner would otherwise pick nested loops
    that take seconds per query on the statistics of nearly empty tables; SQLite's, without
    any statistics (``sqlite_stat1``), takes the status index for the open cases and sorts
    all of them instead of reading the case list's order index."""
    tables = (Case, TimeEntry, Usage, UsageDraw, Invoice, InvoiceLine, InvoiceLineUsage)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE " + ", ".join(m._meta.db_table for m in tables))
        elif connection.vendor == "sqlite":
            for model in tables:
                cursor.execute(f'ANALYZE "{model._meta.db_table}"')
