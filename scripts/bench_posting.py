#!/usr/bin/env python
"""Posting throughput: time logged on cases, charged through the ledger, per second.

    .venv/bin/python scripts/bench_posting.py --write [--postings 200] [--processes 4]
                                              [--json FILE]

Each posting is what the desk does when it logs time: ``cases.services.time_entry_add``,
which posts the usage through ``billing.services.record_usage`` (the customer's row
locked, credit drawn, the case's text search refreshed when there is a note), one
transaction committed per posting. Measured twice:

1. one process posting ``--postings`` entries, one after the other;
2. ``--processes`` processes at once (each its own database connection), each posting
   ``--postings`` entries for its own customers: no two processes share a customer, so
   a global lock would show as a total rate no higher than one process's.

**This writes to the database** and keeps what it wrote (a rate with commits is the
rate that matters): it runs only with ``--write`` and only on demo data (it refuses when
the database holds customers that are not demo data, see
``q3helpdesk.demo.seeding.non_demo_customers``). It posts on the open cases of generated
customers (numbers from 100001, ``seed_demo --scale N``) that may get support today,
dated today, with the demo's mix of activities and minutes (``q3helpdesk.demo.planning``),
a short note on half of them, logged by the demo user ``support``; at the end it says how
many rows it added. On SQLite the processes serialise on the database's single write lock
(the table says so); PostgreSQL is the target.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import queue
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

try:
    import benchlib  # sets Django up: before any import of the project
except ModuleNotFoundError:  # imported from elsewhere (the tests): it sits next to this file
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import benchlib

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, connections
from django.utils import timezone

from billing.models import Usage, UsageDraw
from cases.models import ACTIVE_STATUSES, Case, CaseKind, TimeEntry
from cases.services import time_entry_add
from customers.selectors import support_status
from q3helpdesk.demo.planning import LATER_ACTIVITIES, MINUTES

NOTES = [
    "Rappel du client, question sur la clôture annuelle",
    "Erklärung Lohnausweis, Kunde zufrieden",
    "Réglage de l'impression des bulletins de versement",
    "Import der Bankauszüge geprüft",
    "Question TVA sur facture d'acompte",
]
USER = "support"


@dataclass
class Batch:
    """What one process posted."""

    label: str
    customers: int
    cases: int
    postings: int = 0
    refused: int = 0  # refused by the rules (ValidationError): not counted in the rate
    errors: int = 0  # failed in the database (e.g. SQLite's "database is locked")
    started: float = 0.0  # wall clock (time.time()), to line the processes up
    ended: float = 0.0
    cpu_seconds: float = 0.0  # this process's own CPU time (Python, not the database's)
    runqueue_seconds: float | None = None  # Linux: time runnable but waiting for a CPU
    times_ms: list[float] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return max(self.ended - self.started, 1e-9)

    @property
    def rate(self) -> float:
        return self.postings / self.seconds

    @property
    def cpu_ms_per_posting(self) -> float | None:
        return self.cpu_seconds * 1000 / self.postings if self.postings else None

    @property
    def runqueue_ms_per_posting(self) -> float | None:
        if self.runqueue_seconds is None or not self.postings:
            return None
        return self.runqueue_seconds * 1000 / self.postings


def runqueue_seconds() -> float | None:
    """How long this process has waited, runnable, for a CPU (Linux ``schedstat``)."""
    try:
        with open("/proc/self/schedstat") as stat:
            return int(stat.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


def realistic_entry(rng: random.Random) -> tuple[str, int]:
    """An activity and its logged minutes, drawn as the demo data draws later entries."""
    activity = rng.choices([a for a, _ in LATER_ACTIVITIES], [w for _, w in LATER_ACTIVITIES])[0]
    low, high, mode = MINUTES[activity]
    return activity, max(low, min(high, round(rng.triangular(low, high, mode))))


def open_cases_by_customer() -> dict[int, list[int]]:
    """Open cases of generated customers that may get support today: customer → case ids."""
    today = timezone.localdate()
    rows = (
        Case.objects.filter(
            kind=CaseKind.CASE,
            status__in=ACTIVE_STATUSES,
            customer__in=benchlib.generated_customers(),
        )
        .order_by("customer_id", "pk")
        .values_list("customer_id", "pk")
    )
    by_customer: dict[int, list[int]] = {}
    for customer_id, case_id in rows:
        by_customer.setdefault(customer_id, []).append(case_id)
    cases = Case.objects.select_related("customer").filter(
        pk__in=[ids[0] for ids in by_customer.values()]
    )
    eligible = {
        c.customer_id for c in cases if support_status(customer=c.customer, on=today).eligible
    }
    return {k: v for k, v in by_customer.items() if k in eligible}


def split(by_customer: dict[int, list[int]], parts: int) -> list[dict[int, list[int]]]:
    """The customers dealt round-robin into ``parts`` groups that share none."""
    groups: list[dict[int, list[int]]] = [{} for _ in range(parts)]
    for i, customer_id in enumerate(sorted(by_customer)):
        groups[i % parts][customer_id] = by_customer[customer_id]
    return groups


def post(label: str, by_customer: dict[int, list[int]], count: int, seed: int) -> Batch:
    """Post ``count`` time entries on these customers' cases, each timed on its own."""
    rng = random.Random(seed)  # noqa: S311 - a repeatable mix of work, not cryptography
    case_ids = [pk for ids in by_customer.values() for pk in ids]
    batch = Batch(label, len(by_customer), len(case_ids))
    cases = {c.pk: c for c in Case.objects.filter(pk__in=case_ids)}
    user = get_user_model().objects.filter(username=USER).first()
    today = timezone.localdate()
    batch.started, cpu_started, waited = time.time(), time.process_time(), runqueue_seconds()
    for _ in range(count):
        case = cases[rng.choice(case_ids)]
        activity, minutes = realistic_entry(rng)
        note = rng.choice(NOTES) if rng.random() < 0.5 else ""
        started = time.perf_counter()
        try:
            time_entry_add(
                case=case,
                activity=activity,
                minutes=minutes,
                performed_on=today,
                note=note,
                created_by=user,
            )
        except ValidationError as exc:
            batch.refused += 1
            batch.messages.append(f"C-{case.pk}: {' '.join(exc.messages)}")
            continue
        except DatabaseError as exc:
            batch.errors += 1
            batch.messages.append(f"C-{case.pk}: {type(exc).__name__}: {exc}")
            continue
        batch.times_ms.append((time.perf_counter() - started) * 1000)
        batch.postings += 1
    batch.ended, batch.cpu_seconds = time.time(), time.process_time() - cpu_started
    waited_now = runqueue_seconds()
    if waited is not None and waited_now is not None:
        batch.runqueue_seconds = waited_now - waited
    return batch


def _worker(label, by_customer, count, seed, barrier, results) -> None:
    connections.close_all()  # never the parent's connection: this process opens its own
    try:
        barrier.wait(timeout=120)  # a sibling that died before it: give up, not hang
        results.put(post(label, by_customer, count, seed))
    except BaseException as exc:  # the parent reports it instead of waiting for ever
        results.put(Batch(label, len(by_customer), 0, errors=1, messages=[repr(exc)]))
        raise
    finally:
        connections.close_all()


@dataclass
class LockSamples:
    """PostgreSQL only: what the posting backends were doing, sampled every 50 ms while the
    processes posted (``pg_stat_activity`` of this database, all but idle ones and this
    one): in a statement, waiting for a row lock (``Lock:…``), for an internal lock such as
    the WAL's (``LWLock:…``), for I/O (``IO:WALSync`` is the commit's flush) or for nothing
    (``running``, or waiting for the CPU); or ``idle in transaction`` (the client's turn)."""

    samples: int = 0
    waiting: int = 0  # samples in which at least one backend waited for a row/table lock
    backends_waiting: int = 0  # backends seen waiting for a Lock, summed over the samples
    seen: dict[str, int] = field(default_factory=dict)  # state or wait event → backends seen

    def take(self) -> None:
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT CASE WHEN state = 'active'"
                " THEN coalesce(wait_event_type || ':' || wait_event, 'running')"
                " ELSE state END, count(*)"
                " FROM pg_stat_activity WHERE datname = current_database()"
                " AND state <> 'idle' AND pid <> pg_backend_pid() GROUP BY 1"
            )
            found = dict(cursor.fetchall())
        self.samples += 1
        locked = sum(n for kind, n in found.items() if kind.startswith("Lock:"))
        self.waiting += bool(locked)
        self.backends_waiting += locked
        for kind, n in found.items():
            self.seen[kind] = self.seen.get(kind, 0) + n


def post_in_parallel(
    groups: list[dict[int, list[int]]], count: int, seed: int
) -> tuple[list[Batch], LockSamples]:
    """Each group posted by its own process, all started at once (a barrier); meanwhile
    this process samples the lock waits every 50 ms."""
    context = multiprocessing.get_context("fork")  # the set-up Django, without re-importing
    barrier = context.Barrier(len(groups))
    results = context.Queue()
    connections.close_all()  # a forked child must not share the parent's socket
    processes = [
        context.Process(
            target=_worker, args=(f"process {i + 1}", group, count, seed + i, barrier, results)
        )
        for i, group in enumerate(groups)
    ]
    for process in processes:
        process.start()
    locks = LockSamples()
    batches: list[Batch] = []
    while len(batches) < len(processes):
        try:
            batches.append(results.get(timeout=0.05))
        except queue.Empty:
            if not any(p.is_alive() for p in processes) and results.empty():
                break  # a process died without a word (its exit code shows below)
            locks.take()
    for process in processes:
        process.join()
    reported = {b.label for b in batches}
    batches += [
        Batch(f"process {i + 1}", len(g), 0, errors=1, messages=[f"exit code {p.exitcode}"])
        for i, (p, g) in enumerate(zip(processes, groups, strict=True))
        if f"process {i + 1}" not in reported
    ]
    return sorted(batches, key=lambda b: b.label), locks


def row_counts() -> dict[str, int]:
    return {
        "time entries": TimeEntry.objects.count(),
        "usages": Usage.objects.count(),
        "credit draws": UsageDraw.objects.count(),
    }


@dataclass
class Report:
    single: Batch
    parallel: list[Batch]
    locks: LockSamples
    added: dict[str, int]

    @property
    def parallel_seconds(self) -> float:
        if not self.parallel:
            return 1e-9
        return max(b.ended for b in self.parallel) - min(b.started for b in self.parallel)

    @property
    def parallel_postings(self) -> int:
        return sum(b.postings for b in self.parallel)

    @property
    def parallel_rate(self) -> float:
        return self.parallel_postings / max(self.parallel_seconds, 1e-9)


def run(*, postings: int, processes: int, seed: int = 2026) -> Report:
    """Both measurements; refuses (``NotDemoData``) a database with real customers."""
    benchlib.require_demo_data()
    by_customer = open_cases_by_customer()
    if len(by_customer) < max(processes, 1):
        raise ValueError(
            f"{len(by_customer)} generated customers have open cases and may get support today;"
            f" {max(processes, 1)} or more are needed: seed with `seed_demo --scale N`."
        )
    before = row_counts()
    single = post("1 process", by_customer, postings, seed)
    parallel: list[Batch] = []
    locks = LockSamples()
    if processes > 1:
        parallel, locks = post_in_parallel(split(by_customer, processes), postings, seed + 1)
    after = row_counts()
    return Report(single, parallel, locks, {k: after[k] - before[k] for k in before})


def _by_count(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]


def tables(report: Report) -> str:
    rows = []
    for b in [report.single, *report.parallel]:
        spread = benchlib.spread(b.times_ms)
        rows.append(
            [
                b.label,
                f"{b.customers} customers, {b.cases} cases",
                b.postings,
                f"{b.rate:.1f}",
                benchlib.ms(spread["median_ms"]),
                benchlib.ms(spread["p95_ms"]),
                benchlib.ms(spread["max_ms"]),
                benchlib.ms(b.cpu_ms_per_posting),
                benchlib.ms(b.runqueue_ms_per_posting),
                f"{b.refused} / {b.errors}",
            ]
        )
    if report.parallel:
        times = [t for b in report.parallel for t in b.times_ms]
        spread = benchlib.spread(times)
        rows.append(
            [
                f"**{len(report.parallel)} processes at once, total**",
                f"{sum(b.customers for b in report.parallel)} customers, none shared",
                report.parallel_postings,
                f"**{report.parallel_rate:.1f}**",
                benchlib.ms(spread["median_ms"]),
                benchlib.ms(spread["p95_ms"]),
                benchlib.ms(spread["max_ms"]),
                "",
                "",
                f"{sum(b.refused for b in report.parallel)} / "
                f"{sum(b.errors for b in report.parallel)}",
            ]
        )
    headers = [
        "who posts",
        "posting for",
        "postings count",
        "postings/s",
        "median ms",
        "p95 ms",
        "max ms",
        "CPU ms",
        "CPU wait ms",
        "refused / failed",
    ]
    text = benchlib.markdown_table(headers, rows)
    if report.parallel:
        factor = report.parallel_rate / max(report.single.rate, 1e-9)
        text += (
            f"\n\nScaling: {len(report.parallel)} processes post {factor:.2f}× the rate of one"
            f" ({report.parallel_rate:.1f} vs {report.single.rate:.1f} postings/s, "
            f"{report.parallel_seconds:.2f} s wall time for all) on {os.cpu_count()} CPUs"
            " shared with the database server and whatever else runs there. CPU ms: this"
            " Python process's own CPU time per posting; CPU wait ms: the time it was ready"
            " to run but waited for a CPU (Linux schedstat), per posting. When CPU plus CPU"
            " wait make up most of the median, the posting processes are short of CPU, not"
            " blocked by the database."
        )
        locks = report.locks
        if locks.samples:
            text += (
                f" Lock waits: in {locks.waiting} of {locks.samples} samples (every 50 ms)"
                f" a backend waited for a row lock ({locks.backends_waiting} waits seen);"
                " backends seen, by state or wait event: "
                + ", ".join(f"{kind} {n}" for kind, n in sorted(locks.seen.items(), key=_by_count))
                + "."
            )
        if connection.vendor == "sqlite":
            text += (
                " On SQLite every write transaction takes the database's single write lock"
                " (BEGIN IMMEDIATE): the processes serialise, so this says nothing about"
                " PostgreSQL."
            )
    added = ", ".join(f"{n} {label}" for label, n in report.added.items())
    text += f"\n\nRows added (kept; today's date, open cases of generated customers): {added}."
    messages = [m for b in [report.single, *report.parallel] for m in b.messages]
    if messages:
        text += "\n\nRefused or failed (first 5): " + "; ".join(messages[:5])
    return text


def as_json(report: Report, env: dict, postings: int) -> dict:
    def batch(b: Batch) -> dict:
        data = asdict(b)
        data.update(
            seconds=b.seconds,
            rate_per_s=b.rate,
            cpu_ms_per_posting=b.cpu_ms_per_posting,
            cpu_wait_ms_per_posting=b.runqueue_ms_per_posting,
            **benchlib.spread(b.times_ms),
        )
        return data

    return {
        "benchmark": "posting",
        "environment": env,
        "postings_per_process": postings,
        "single": batch(report.single),
        "parallel": [batch(b) for b in report.parallel],
        "parallel_total": {
            "processes": len(report.parallel),
            "postings": report.parallel_postings,
            "seconds": report.parallel_seconds if report.parallel else None,
            "rate_per_s": report.parallel_rate if report.parallel else None,
            "lock_samples": asdict(report.locks),
        },
        "rows_added": report.added,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="really post (writes, kept)")
    parser.add_argument("--postings", type=int, default=200, help="per process (200)")
    parser.add_argument("--processes", type=int, default=4, help="posting at once (4)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    if args.postings < 1 or args.processes < 1:
        parser.error("--postings and --processes must be 1 or more")
    if not args.write:
        parser.error("this benchmark writes time entries and keeps them: add --write")
    benchlib.production_like()
    env = benchlib.environment()
    how = (
        f"{args.postings} postings in 1 process, then {args.postings} in each of "
        f"{args.processes} processes at once"
    )
    print(benchlib.environment_text(env, how))
    print()
    try:
        report = run(postings=args.postings, processes=args.processes)
    except (benchlib.NotDemoData, ValueError) as exc:
        sys.exit(f"Refused: {exc}")
    print(tables(report))
    benchlib.write_json(args.json, as_json(report, env, args.postings))


if __name__ == "__main__":
    main()
