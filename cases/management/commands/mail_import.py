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
        failed = []
        for name in files:
            try:
                if name == "-":
                    raw = sys.stdin.buffer.read()
                else:
                    with open(name, "rb") as handle:
                        raw = handle.read()
                result = mail_file(raw=raw)
            except (OSError, ValidationError) as exc:
                # Report it and go on with the other files; the exit status says it.
                reason = exc.strerror if isinstance(exc, OSError) else " ".join(exc.messages)
                self.stderr.write(f"{name}: {reason}")
                failed.append(name)
                continue
            email = result.email
            where = email.case.reference if email.case is not None else email.get_status_display()
            if result.created:
                filed += 1
                self.stdout.write(f"{name}: {where}")
            else:
                duplicates += 1
                self.stdout.write(f"{name}: {where} (already filed)")
        self.stdout.write(f"filed {filed}, duplicates {duplicates}, failed {len(failed)}")
        if failed:
            raise CommandError(f"not filed: {', '.join(failed)}")
