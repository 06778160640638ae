"""Attachments and raw messages, served to the desk as downloads, never shown inline."""

from __future__ import annotations

import re

from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from q3helpdesk.roles import requires

from ..models import EmailAttachment, InboundEmail
from ._common import WORK

UNSAFE_FILENAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def _download(stored, filename: str) -> FileResponse:
    """A stored file as a download, never shown inline: the sender chose its type and name."""
    try:
        handle = stored.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=UNSAFE_FILENAME.sub("_", filename).strip(" .") or "attachment",
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@requires(WORK)  # the desk's own mail: Infoline and Support only
@require_safe
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(EmailAttachment, pk=pk)
    return _download(attachment.file, attachment.filename)


@requires(WORK)  # the desk's own mail: Infoline and Support only
@require_safe
def inbound_raw(request: HttpRequest, pk: int) -> FileResponse:
    """The message exactly as received (.eml), whatever became of it."""
    email = get_object_or_404(InboundEmail, pk=pk)
    return _download(email.raw, f"message-{email.pk}.eml")
