from django.core.management.base import BaseCommand

from cases.search import case_search_rebuild


class Command(BaseCommand):
    help = "Rebuild the text search rows of every case (after a bulk import or a restore)."

    def handle(self, *args, **options):
        count = case_search_rebuild()
        self.stdout.write(f"{count} cases indexed for the text search.")
