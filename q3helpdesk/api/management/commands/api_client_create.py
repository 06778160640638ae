"""Create a client of the API and print its token (once): ``manage.py api_client_create
"Telefonanlage" --scopes caller``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date

from q3helpdesk.api.models import Scope
from q3helpdesk.api.services import api_client_create


class Command(BaseCommand):
    help = "Create a client of the API (one per system) and print its token once."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The system, e.g. Telefonanlage")
        parser.add_argument(
            "--scopes",
            required=True,
            help=f"Comma-separated, among: {', '.join(Scope.values)}",
        )
        parser.add_argument("--expires", help="Last valid day, YYYY-MM-DD (default: none)")

    def handle(self, *args, name: str, scopes: str, expires: str | None, **options):
        expires_on = None
        if expires:
            try:
                expires_on = parse_date(expires)
            except ValueError:
                expires_on = None
            if expires_on is None:
                raise CommandError(f"--expires {expires!r} is not a date (YYYY-MM-DD).")
        try:
            client, token = api_client_create(
                name=name,
                scopes=[s for s in scopes.split(",") if s.strip()],
                expires_on=expires_on,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stderr.write(
            f"Client {client.name!r} created with the scopes {', '.join(client.scopes)}. "
            "Its token follows; it is shown only this once:"
        )
        self.stdout.write(token)
