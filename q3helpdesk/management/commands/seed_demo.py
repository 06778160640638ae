import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from billing.services import grants_sync_all
from cases.search import case_search_rebuild
from q3helpdesk.demo import seeding
from q3helpdesk.demo.activity import seed_activity
from q3helpdesk.demo.checks import ledger_problems
from q3helpdesk.demo.mail import seed_mail
from q3helpdesk.demo.writing import SECONDS, phase

ACTIVITY_COUNTS = [
    ("cases", "cases"),
    ("leads", "rental-switch leads"),
    ("time_entries", "time entries"),
    ("time_entries_removed", "time entries removed"),
    ("entries_refused", "time entries refused"),
    ("callbacks", "callbacks"),
    ("callback_attempts", "callback attempts"),
    ("invoices", "invoices issued"),
    ("drafts_discarded", "drafts discarded"),
]


class Command(BaseCommand):
    help = (
        "Load demo data: Swiss customers covering every support rule and one demo user per "
        "role, with a year of cases, callbacks and invoices. Safe to run again. --scale N adds "
        "N generated customers (and --years Y years of their activity) for performance work."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=int, default=0, metavar="N", help="also generate N customers in bulk"
        )
        parser.add_argument(
            "--years",
            type=int,
            default=1,
            metavar="Y",
            help="years of activity for the generated customers (default 1)",
        )
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="run although DEBUG is off (demo users have the password 'demo')",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="run although the database holds customers that are not demo data",
        )

    def handle(
        self, *args, scale: int, years: int, allow_without_debug: bool, force: bool, **options
    ):
        if not settings.DEBUG and not allow_without_debug:
            raise CommandError(
                "DEBUG is off: this looks like production. Demo users have the password "
                "'demo'. Use --allow-without-debug if you really want demo data here."
            )
        if scale < 0:
            raise CommandError("--scale must be 0 or more.")
        if not 1 <= years <= 10:
            raise CommandError("--years must be between 1 and 10.")
        real = seeding.non_demo_customers()
        if not force and real.exists():
            raise CommandError(
                f"This database holds {real.count()} customer(s) that are not demo data (for "
                f"example {real.order_by('number').first()}): demo data and demo logins do not "
                "belong beside real customers. Use --force if you really want them here."
            )
        today = timezone.localdate()
        users = seeding.seed_users()
        seeding.seed_company()
        added = seeding.seed_customers(today)
        self.stdout.write(f"Demo customers added: {added} (existing ones kept).")
        if scale:
            with phase("generate customers"):
                generated = seeding.seed_scale(scale, today, years=years)
            self.stdout.write(f"Generated customers added: {generated} (of {scale} requested).")
        with phase("derive grants"):
            grants = grants_sync_all()
        self.stdout.write(f"Credit grants derived: {grants}.")
        started = time.monotonic()
        with phase("(activity in all, committed)"), transaction.atomic():
            activity = seed_activity(today=today, scale=scale, years=years)
            # Written in bulk: verify what the services would have guaranteed row by row,
            # and write nothing rather than a demo whose figures do not add up.
            with phase("check ledger"):
                problems = ledger_problems()
            if problems:
                raise CommandError(
                    "The seeded ledger breaks its invariants:\n  " + "\n  ".join(problems)
                )
        span = "A year" if years == 1 or not scale else f"{years} years"
        self.stdout.write(
            f"{span} of activity for {activity.get('customers', 0)} customers without cases,"
            f" ledger checked ({time.monotonic() - started:.0f} s):"
        )
        for name, label in ACTIVITY_COUNTS:
            self.stdout.write(f"  {label:<28} {activity.get(name, 0)}")
        self.stdout.write(f"Demo support e-mails filed: {seed_mail()}.")
        # The year of activity is written in bulk: index its cases for the text search.
        with phase("index for search"):
            indexed = case_search_rebuild(chunk=5000)
        self.stdout.write(f"Cases indexed for the text search: {indexed}.")
        if options["verbosity"] >= 2:
            self.stdout.write("Seconds per phase of the activity:")
            for name, seconds in SECONDS.items():
                self.stdout.write(f"  {name:<28} {seconds:.1f}")
        self.stdout.write(self.style.SUCCESS("Demo logins (password for all: demo):"))
        for username, role in users:
            self.stdout.write(f"  {username:<10} {role}")
