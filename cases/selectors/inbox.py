"""The inbox: incoming e-mails waiting for a customer."""

from __future__ import annotations

from django.db.models import (
    Count,
    QuerySet,
)

from ..models import (
    InboundEmail,
    InboundStatus,
)

# --- the inbox ------------------------------------------------------------------------------

WAITING = (InboundStatus.INBOX, InboundStatus.UNREADABLE)


def inbox_messages() -> QuerySet[InboundEmail]:
    """Messages no case holds yet: unknown senders and unreadable messages, newest first."""
    return (
        InboundEmail.objects.filter(status__in=WAITING)
        .annotate(attachment_count=Count("attachments"))
        .order_by("-received_at", "-id")
    )


def inbox_waiting_count() -> int:
    """How many messages wait in the inbox (the navigation's badge): one COUNT query."""
    return InboundEmail.objects.filter(status__in=WAITING).count()
