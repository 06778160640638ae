import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing.services import grants_sync_all
from cases.search import case_search_rebuild
from q3helpdesk.demo import seeding
from q3helpdesk.demo.activity import seed_activity
from q3helpdesk.demo.mail import seed_mail

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
        "N generated customers (and their year) for performance work."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=int, default=0, metavar="N", help="also generate N customers in bulk"
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

    def handle(self, *args, scale: int, allow_without_debug: bool, force: bool, **options):
        if not settings.DEBUG and not allow_without_debug:
            raise CommandError(
                "DEBUG is off: this looks like production. Demo users have the password "
                "'demo'. Use --allow-without-debug if you really want demo data here."
            )
        if scale < 0:
            raise CommandError("--scale must be 0 or more.")
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
            generated = seeding.seed_scale(scale, today)
            self.stdout.write(f"Generated customers added: {generated} (of {scale} requested).")
        grants = grants_sync_all()
        self.stdout.write(f"Credit grants derived: {grants}.")
        started = time.monotonic()
        activity = seed_activity(today=today, scale=scale)
        self.stdout.write(
            f"A year of activity for {activity.get('customers', 0)} customers without cases"
            f" ({time.monotonic() - started:.0f} s):"
        )
        for name, label in ACTIVITY_COUNTS:
            self.stdout.write(f"  {label:<28} {activity.get(name, 0)}")
        self.stdout.write(f"Demo support e-mails filed: {seed_mail()}.")
        # The year of activity is written in bulk: index its cases for the text search.
        self.stdout.write(f"Cases indexed for the text search: {case_search_rebuild()}.")
        self.stdout.write(self.style.SUCCESS("Demo logins (password for all: demo):"))
        for username, role in users:
            self.stdout.write(f"  {username:<10} {role}")
