"""An e-mail backend for tests whose SMTP server is down (what leaves the machine)."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class UnreachableSMTPBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPConnectError(421, "mail.q3software.example: service not available")
