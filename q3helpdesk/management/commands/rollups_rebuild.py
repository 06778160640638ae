from django.core.management.base import BaseCommand

from billing.services.rollups import ledger_rollups_rebuild
from cases.rollups import case_rollups_rebuild


class Command(BaseCommand):
    help = (
        "Derive the dashboard's daily roll-ups again from the ledger and the cases. The "
        "services keep them in step; run this after writing rows past them (a data import, "
        "a repair). Safe to run at any time: one transaction per table."
    )

    def handle(self, *args, **options):
        usages, credit = ledger_rollups_rebuild()
        cases = case_rollups_rebuild()
        self.stdout.write(
            f"Daily roll-ups rebuilt: {usages} usage rows, {credit} credit rows, {cases} case rows."
        )
