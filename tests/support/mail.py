"""An e-mail backend for tests whose SMTP server is down (what leaves the machine)."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class UnreachableSMTPBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPConnectError(421, "mail.q3software.example: service not available")


class TransactionRecordingBackend(BaseEmailBackend):
    """Records, for each message handed to it, whether a database transaction was open
    (sending must never hold row locks) and whether the e-mail's row was locked."""

    seen: list[dict] = []

    def send_messages(self, email_messages):
        from django.db import connection

        for message in email_messages:
            TransactionRecordingBackend.seen.append(
                {"in_transaction": connection.in_atomic_block, "subject": message.subject}
            )
        return len(email_messages)
