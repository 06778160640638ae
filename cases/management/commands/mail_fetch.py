"""Fetch the support mailbox (``INBOUND_MAIL_URL``) over IMAP and file what came in.

``mail_fetch`` (or ``--once``) runs once — for a systemd timer or cron every minute;
``mail_fetch --loop 60`` runs every 60 seconds until interrupted — for a service or the
development script. A run while another holds the mailbox exits quietly (see
``cases.mail_fetch.mailbox_lock``).
"""

import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from cases.mail_fetch import FetchResult, MailboxBusy, MailFetchError, fetch_once, mailbox_config

logger = logging.getLogger(__name__)


def _file_message(raw: bytes) -> bool:
    # Imported here: the command must load (and say what is wrong with the mailbox URL)
    # even where the filing side is broken or not yet migrated.
    from cases.inbound import mail_file

    return mail_file(raw=raw).created


class Command(BaseCommand):
    help = "Fetch new support e-mail from the IMAP mailbox INBOUND_MAIL_URL and file it."

    def add_arguments(self, parser):
        when = parser.add_mutually_exclusive_group()
        when.add_argument("--once", action="store_true", help="one run (the default)")
        when.add_argument(
            "--loop",
            type=int,
            metavar="SECONDS",
            help="run every SECONDS seconds until interrupted",
        )
        parser.add_argument(
            "--limit", type=int, default=200, help="at most this many messages per run"
        )

    def handle(self, *args, once: bool, loop: int | None, limit: int, **options):
        if not settings.INBOUND_MAIL_URL:
            raise CommandError(
                "INBOUND_MAIL_URL is not set: the support mailbox, e.g. "
                "imaps://support%40q3software.ch:PASSWORD@mail.example.ch:993/INBOX?filed=Filed"
            )
        try:
            config = mailbox_config(settings.INBOUND_MAIL_URL)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if limit < 1:
            raise CommandError("--limit must be at least 1")
        if loop is None:
            try:
                result = fetch_once(config, _file_message, limit=limit)
            except MailboxBusy:
                logger.info("Mail fetch skipped: another run holds %s", config.display)
                return
            except MailFetchError as exc:
                raise CommandError(str(exc)) from None
            self._report(result)
            return
        if loop < 1:
            raise CommandError("--loop needs a number of seconds of at least 1")
        try:
            while True:
                self._run_in_loop(config, limit)
                time.sleep(loop)
        except KeyboardInterrupt:
            return

    def _run_in_loop(self, config, limit: int) -> None:
        # A long-running process: drop database connections the server may have closed,
        # and keep going when the mail server is down for a while.
        close_old_connections()
        try:
            result = fetch_once(config, _file_message, limit=limit)
        except MailboxBusy:
            logger.info("Mail fetch skipped: another run holds %s", config.display)
            return
        except MailFetchError:
            return  # logged by fetch_once; the next run tries again
        finally:
            close_old_connections()
        if result.seen or result.failed:
            self._report(result)

    def _report(self, result: FetchResult) -> None:
        self.stdout.write(
            f"fetched {result.seen}, filed {result.filed}, "
            f"duplicates {result.duplicates}, failed {result.failed}"
        )
