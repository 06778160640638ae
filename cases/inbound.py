"""Incoming support e-mail (R15): one service files a raw message, whoever fetched it.

``mail_fetch`` (IMAP) and ``mail_import`` (files, an MTA's pipe) both hand the raw bytes
to :func:`mail_file`. A message joins the case it answers (``[C-n]`` in the subject, or
``In-Reply-To``/``References`` naming a message of the case); otherwise the sender decides:
an eligible customer gets a new e-mail case, a customer without a current rental licence a
rental-switch lead and an automatic answer, an unknown sender waits in the inbox. Every
message is kept raw, filed exactly once (its ``Message-ID`` is unique), and never answered
automatically when it is automatic itself.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.selectors import tariff_in_force
from customers.models import Contact, Customer
from customers.selectors import support_status
from q3helpdesk.guards import column_length, scrub, service

from .mail_parse import ParsedMessage, UnreadableMessage, parse_message
from .models import (
    Case,
    CaseKind,
    CaseStatus,
    Channel,
    EmailAttachment,
    InboundEmail,
    InboundStatus,
    SupportEmail,
)
from .search import case_search_refresh

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Filed:
    """What :func:`mail_file` did: the stored message, and whether it is new."""

    email: InboundEmail
    created: bool


def _fit(value: str, field: str) -> str:
    """Text cut to its column (the raw message keeps it whole)."""
    limit = column_length(InboundEmail, field)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _message_id(parsed: ParsedMessage | None, raw: bytes) -> str:
    """The message's own id; a stable one from its bytes when it has none (or one too long
    for the column), so that the same message delivered twice is filed once."""
    if parsed is not None and parsed.message_id and len(parsed.message_id) <= 255:
        return parsed.message_id
    return f"<{hashlib.sha256(raw).hexdigest()}@q3helpdesk.invalid>"


@service
def mail_file(*, raw: bytes) -> Filed:
    """File one raw RFC 5322 message; a message already filed is not filed again."""
    if not isinstance(raw, bytes | bytearray) or not raw:
        raise ValidationError(_("An e-mail message is given as its raw bytes."))
    raw = bytes(raw)
    try:
        parsed: ParsedMessage | None = parse_message(raw)
    except UnreadableMessage:
        parsed = None
    message_id = _message_id(parsed, raw)
    existing = InboundEmail.objects.filter(message_id=message_id).first()
    if existing is not None:
        logger.debug("Incoming message %s already filed as %s", message_id, existing.pk)
        return Filed(existing, False)
    stored = InboundEmail._meta.get_field("raw")
    name = stored.storage.save(
        stored.generate_filename(None, f"{hashlib.sha256(raw).hexdigest()[:32]}.eml"),
        ContentFile(raw),
    )
    written: list[str] = []
    try:
        with transaction.atomic():
            email = _file(parsed, raw, message_id, name, written)
    except IntegrityError:
        # Filed a moment ago by another fetch: theirs stands.
        logger.debug("Incoming message %s was filed meanwhile by another run", message_id)
        _delete_files([name, *written])
        return Filed(InboundEmail.objects.get(message_id=message_id), False)
    except Exception:
        # Whatever went wrong while filing it, the message is not lost and not retried for
        # ever: it is kept raw as unreadable, for the desk to look at.
        logger.exception(
            "Incoming message %s could not be filed; kept raw as unreadable (%s)",
            message_id,
            name,
        )
        _delete_files(written)
        try:
            with transaction.atomic():
                email = _file(None, raw, message_id, name, [])
        except IntegrityError:
            _delete_files([name])
            return Filed(InboundEmail.objects.get(message_id=message_id), False)
    # Ids only: the sender and the text stay out of the log.
    logger.info(
        "Incoming message %s filed as %s: %s%s",
        message_id,
        email.pk,
        email.status,
        f" on case {email.case_id}" if email.case_id else "",
    )
    return Filed(email, True)


def _delete_files(names: list[str]) -> None:
    storage = InboundEmail._meta.get_field("raw").storage
    for name in names:
        storage.delete(name)


def _file(
    parsed: ParsedMessage | None, raw: bytes, message_id: str, name: str, written: list[str]
) -> InboundEmail:
    email = InboundEmail(message_id=message_id, raw=name, size=len(raw))
    if parsed is None:
        email.status = InboundStatus.UNREADABLE
        email.note = _("The message could not be read; it is kept as it was received.")
        email.save()
        return email
    # What comes from outside is cleaned, never refused (the parser cleans it already; this
    # keeps the rule of q3helpdesk.guards whatever the parser lets through).
    email.from_address = _fit(scrub(parsed.from_address), "from_address")
    email.from_name = _fit(scrub(parsed.from_name), "from_name")
    email.to = _fit(scrub(", ".join(parsed.to)), "to")
    email.subject = _fit(scrub(parsed.subject), "subject")
    email.sent_at = parsed.date
    email.text = scrub(parsed.text, multiline=True)
    email.html = scrub(parsed.html, multiline=True)
    email.in_reply_to = _fit(" ".join(parsed.in_reply_to), "in_reply_to")
    email.references = " ".join(parsed.references)
    email.automatic = parsed.automatic

    answer = None
    case = _thread_case(parsed)
    if case is not None and not _belongs_to(case, parsed):
        # A stranger naming someone else's case (a guessed [C-n], a copied header): never
        # onto that case, never its customer's credit — the inbox, with a note.
        email.note = _fit(
            _("Mentions case %(case)s, but the sender is not known for its customer.")
            % {"case": case.reference},
            "note",
        )
        email.customer = email.contact = None
        email.status = InboundStatus.INBOX
        email.automatic = parsed.automatic
        email.save()
        _store_attachments(email, parsed, written)
        return email
    if case is not None:
        case = _case_for_reply(case, parsed)
        email.status, email.case, email.customer = InboundStatus.FILED, case, case.customer
        email.contact = _contact_of(case.customer, parsed.from_address) or case.contact
    else:
        customer, contact = sender_of(parsed.from_address)
        email.customer, email.contact = customer, contact
        if customer is None or parsed.automatic:
            email.status = InboundStatus.INBOX
        else:
            email.case, answer = _open_for(customer, contact, email)
            email.status = InboundStatus.FILED
    email.save()
    if email.case_id is not None:
        case_search_refresh(case=email.case)
    _store_attachments(email, parsed, written)
    if answer is not None:
        _answer(email, answer)
    return email


# --- threading ----------------------------------------------------------------------------


def _thread_case(parsed: ParsedMessage) -> Case | None:
    """The case the message answers: by its thread headers first (they name our own
    messages), then by a ``[C-n]`` in the subject."""
    # A bounce names the message it returns: one of our answers, which has a case.
    bounced = [parsed.bounced_message_id] if parsed.bounced_message_id else []
    ids = [*parsed.in_reply_to, *reversed(parsed.references), *bounced]
    if ids:
        ours = SupportEmail.objects.filter(message_id__in=ids).exclude(message_id="")
        theirs = InboundEmail.objects.filter(message_id__in=ids, case__isnull=False)
        found = {row[0]: row[1] for row in ours.values_list("message_id", "case_id")}
        found.update(
            {row[0]: row[1] for row in theirs.values_list("message_id", "case_id") if row[0]}
        )
        for message_id in ids:
            if message_id in found:
                return Case.objects.select_related("customer", "contact").get(pk=found[message_id])
    for number in parsed.case_references:
        case = Case.objects.select_related("customer", "contact").filter(pk=number).first()
        if case is not None:
            return case
    return None


def _belongs_to(case: Case, parsed: ParsedMessage) -> bool:
    """Whether the sender may write on ``case``: one of its customer's addresses (a
    contact's or the customer's own), or an address already in the conversation. A reply
    naming one of our own messages (random ids nobody can guess) is trusted too."""
    ids = [*parsed.in_reply_to, *parsed.references]
    if parsed.bounced_message_id:
        ids.append(parsed.bounced_message_id)
    if ids and SupportEmail.objects.filter(case=case, message_id__in=ids).exists():
        return True
    address = parsed.from_address
    if not address:
        return False
    customer = case.customer
    return (
        customer.email.lower() == address
        or customer.contacts.filter(email__iexact=address).exists()
        or case.inbound_emails.filter(from_address__iexact=address).exists()
        or case.emails.filter(to__iexact=address).exists()
    )


def _case_for_reply(case: Case, parsed: ParsedMessage) -> Case:
    """The case a reply lands on: a resolved case reopens, a case closed longer than the
    tariff's days gets a new case following it; automatic mail changes nothing."""
    if parsed.automatic or case.status == CaseStatus.OPEN:
        return case
    from .services import case_follow_up, case_reopen_by_reply

    days = tariff_in_force(on=timezone.localdate()).reopen_days
    if case.status == CaseStatus.CLOSED and (
        case.closed_at is None or case.closed_at < timezone.now() - timedelta(days=days)
    ):
        # A follow-up opened by an earlier reply takes the next replies too.
        follow_up = (
            case.followed_by.filter(status__in=(CaseStatus.OPEN, CaseStatus.WAITING))
            .select_related("customer", "contact")
            .order_by("-pk")
            .first()
        )
        if follow_up is not None:
            return _case_for_reply(follow_up, parsed)
        return case_follow_up(case=case, subject=scrub(parsed.subject))
    return case_reopen_by_reply(case=case)


# --- new conversations ----------------------------------------------------------------------


def sender_of(address: str) -> tuple[Customer | None, Contact | None]:
    """The customer a sender's address belongs to: a contact's address first, then the
    customer's own; an address shared by several customers decides nothing."""
    if not address:
        return None, None
    contacts = list(Contact.objects.filter(email__iexact=address).select_related("customer")[:2])
    if len({c.customer_id for c in contacts}) == 1:
        return contacts[0].customer, contacts[0]
    if contacts:
        return None, None
    customers = list(Customer.objects.filter(email__iexact=address)[:2])
    if len(customers) == 1:
        return customers[0], None
    return None, None


def _contact_of(customer: Customer, address: str) -> Contact | None:
    if not address:
        return None
    return customer.contacts.filter(email__iexact=address).first()


def _open_for(customer: Customer, contact: Contact | None, email: InboundEmail):
    """A new e-mail case for an eligible customer (R1), else a rental-switch lead with an
    automatic answer; returns the case and the automatic answer to send (or None)."""
    from .services import case_create

    status = support_status(customer=customer, on=timezone.localdate())
    subject = email.subject.strip() or _("(no subject)")
    subject = subject if len(subject) <= 200 else subject[:199] + "…"
    if status.eligible:
        case = case_create(
            customer=customer,
            contact=contact,
            channel=Channel.EMAIL,
            subject=subject,
            kind=CaseKind.CASE,
        )
        acknowledge = tariff_in_force(on=timezone.localdate()).acknowledge_emails
        return case, "acknowledge" if acknowledge else None
    case = case_create(
        customer=customer,
        contact=contact,
        channel=Channel.EMAIL,
        subject=subject,
        kind=CaseKind.LEAD,
    )
    return case, "rental_switch"


@service
@transaction.atomic
def inbound_assign(
    *,
    email: InboundEmail,
    customer: Customer,
    contact: Contact | None = None,
    by: User | None = None,
) -> Case:
    """Give a message of the inbox to a customer: it becomes a case, or a lead with its
    automatic answer, as if the customer had written from a known address."""
    if not isinstance(email, InboundEmail) or email.pk is None:
        raise ValidationError(_("Choose a message of the inbox."))
    if not isinstance(customer, Customer) or customer.pk is None:
        raise ValidationError(_("Choose an existing customer."))
    if contact is not None and (
        not isinstance(contact, Contact) or contact.customer_id != customer.pk
    ):
        raise ValidationError(_("The contact is not a contact of this customer."))
    email = InboundEmail.objects.select_for_update().get(pk=email.pk)
    if email.status == InboundStatus.FILED:
        assert email.case is not None  # a filed message is on a case
        raise ValidationError(
            _("This message is already on case %(case)s.") % {"case": email.case.reference}
        )
    email.customer, email.contact = customer, contact
    email.case, answer = _open_for(customer, contact, email)
    email.status, email.assigned_by = InboundStatus.FILED, by
    email.save(update_fields=["customer", "contact", "case", "status", "assigned_by"])
    case_search_refresh(case=email.case)
    if answer is not None and not email.automatic:
        _answer(email, answer)
    logger.info(
        "Incoming message %s assigned to customer %s: case %s",
        email.pk,
        customer.pk,
        email.case_id,
    )
    return email.case


# --- attachments and automatic answers ---------------------------------------------------------


def _store_attachments(email: InboundEmail, parsed: ParsedMessage, written: list[str]) -> None:
    """Attachments as files, up to the size limit per message; the rest stays in the raw
    message, and the message says so. Files are stored under generated names (the
    sender's name is only shown): whatever the sender called a file, it can be stored."""
    room = settings.MAIL_MAX_ATTACHMENT_BYTES
    kept, left = [], []
    for attachment in parsed.attachments:
        if len(attachment.data) > room:
            left.append(attachment.filename)
            continue
        room -= len(attachment.data)
        stored = EmailAttachment(
            inbound=email,
            filename=attachment.filename[:255],
            content_type=attachment.content_type[:127],
            size=len(attachment.data),
        )
        suffix = Path(attachment.filename).suffix.lower()
        safe_suffix = suffix if suffix.isascii() and suffix[1:].isalnum() else ""
        stored.file.save(
            f"{uuid.uuid4().hex}{safe_suffix[:10]}", ContentFile(attachment.data), save=False
        )
        written.append(stored.file.name)
        kept.append(stored)
    EmailAttachment.objects.bulk_create(kept)
    if left:
        logger.info(
            "Incoming message %s: %s attachment(s) over the size limit kept only in the raw"
            " message",
            email.pk,
            len(left),
        )
        email.note = _fit(
            _("Attachments over the size limit are kept only in the raw message: %(names)s")
            % {"names": ", ".join(left)},
            "note",
        )
        email.save(update_fields=["note"])


def own_addresses() -> set[str]:
    """The desk's own addresses: the sender of its e-mails and the mailbox it reads."""
    own = {parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()}
    mailbox = getattr(settings, "INBOUND_MAIL_URL", "")
    if mailbox:
        user = unquote(urlsplit(mailbox).username or "")
        if "@" in user:
            own.add(user.lower())
    return own - {""}


def may_answer_automatically(address: str) -> bool:
    """At most one automatic answer per sender and day, never to ourselves (mail loops)."""
    if not address or address.lower() in own_addresses():
        return False
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return not SupportEmail.objects.filter(
        Q(to__iexact=address), automatic=True, created_at__gte=today
    ).exists()


def _answer(email: InboundEmail, kind: str) -> None:
    from .emails import automatic_answer

    if email.automatic or not may_answer_automatically(email.from_address):
        return
    automatic_answer(inbound=email, kind=kind)
