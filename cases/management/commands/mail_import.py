"""File support e-mails from files: ``mail_import FILE…`` or ``mail_import -`` (standard
input, for an MTA's pipe delivery, e.g. an alias ``support: "|… manage.py mail_import -"``)."""

import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cases.inbound import mail_file


class Command(BaseCommand):
    help = "File raw e-mail messages (RFC 5322 files, or - for standard input) as support mail."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="message files, or -")

    def handle(self, *args, files: list[str], **options):
        filed = duplicates = 0
        for name in files:
            try:
                if name == "-":
                    raw = sys.stdin.buffer.read()
                else:
                    with open(name, "rb") as handle:
                        raw = handle.read()
            except OSError as exc:
                raise CommandError(f"{name}: {exc.strerror}") from exc
            try:
                result = mail_file(raw=raw)
            except ValidationError as exc:
                raise CommandError(f"{name}: {' '.join(exc.messages)}") from exc
            email = result.email
            where = email.case.reference if email.case_id else email.get_status_display()
            if result.created:
                filed += 1
                self.stdout.write(f"{name}: {where}")
            else:
                duplicates += 1
                self.stdout.write(f"{name}: {where} (already filed)")
        self.stdout.write(f"filed {filed}, duplicates {duplicates}")
