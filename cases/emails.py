"""Support e-mails (R10): written on the case, sent by the worker after the commit.

Every e-mail ends with the customer's current credit, in the customer's language. The
message is stored first; sending happens in the background (django-tasks, database
backend) once the transaction has committed; a failure is recorded and can be retried.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import date
from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_tasks import task

from billing.selectors import company, credit_balance
from customers.models import Contact, Customer
from customers.selectors import support_status
from q3helpdesk.guards import column_length, service

from .mail_parse import reply_subject
from .models import Case, CaseKind, EmailStatus, InboundEmail, SupportEmail
from .search import case_search_refresh

logger = logging.getLogger(__name__)


@service
def credit_statement(*, customer: Customer, on: date, contact: Contact | None = None) -> str:
    """R10, in the customer's language: "Votre avoir actuel : 15 min, valable jusqu'au
    31.12.2026." Support+ minutes count only for a registered person (R7); credit that
    expires on other days is listed per expiry day."""
    balance = credit_balance(customer=customer, on=on)
    registered = support_status(customer=customer, on=on).is_registered(contact)
    usable: dict[date, int] = {}
    for bucket in balance.buckets:
        if bucket.remaining and (registered or not bucket.registered_only):
            usable[bucket.valid_to] = usable.get(bucket.valid_to, 0) + bucket.remaining
    with translation.override(customer.language):
        if not usable:
            return _("Your current support credit: 0 min.")
        parts = [
            _("%(minutes)s min, valid until %(day)s")
            % {"minutes": minutes, "day": date_format(day, "d.m.Y")}
            for day, minutes in sorted(usable.items())
        ]
        return _("Your current support credit: %(credit)s.") % {"credit": "; ".join(parts)}


def _subject_prefix(case: Case) -> str:
    return f"[{case.reference}] "


def subject_max_length(case: Case) -> int:
    """How long the subject typed for ``case`` may be: the column holds the "[C-n] " too."""
    return column_length(SupportEmail, "subject") - len(_subject_prefix(case))


def new_message_id() -> str:
    """A Message-ID on the support address's domain, remembered so that replies thread."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "q3helpdesk.invalid"
    return make_msgid(domain=domain)


def _thread_headers(reply_to: InboundEmail | None) -> tuple[str, str]:
    """In-Reply-To and References of an answer to ``reply_to`` (RFC 5322 §3.6.4)."""
    if reply_to is None:
        return "", ""
    references = " ".join([*reply_to.references.split(), reply_to.message_id])
    return reply_to.message_id, references


def _with_reference(case: Case, subject: str) -> str:
    """The subject with the case reference once: "[C-12] Lohnlauf", and for an answer
    "Re: [C-12] Lohnlauf" (one "Re:", whatever the customer's client wrote)."""
    if subject.lower().startswith(("re:", "aw:", "antw:", "r:")):
        return reply_subject(subject, case.reference)
    return subject if f"[{case.reference}]" in subject else f"{_subject_prefix(case)}{subject}"


@service
@transaction.atomic
def email_send(
    *,
    case: Case,
    subject: str,
    body: str,
    created_by: User | None = None,
    reply_to: InboundEmail | None = None,
) -> SupportEmail:
    """Store a reply to the case's contact (or the customer) and have the worker send it.

    ``reply_to`` is the customer's message answered: the e-mail goes to its sender and
    carries the thread headers, so that the customer's client shows one conversation.
    """
    if not isinstance(case, Case) or case.pk is None:
        raise ValidationError(_("Choose an existing case."))
    if case.kind != CaseKind.CASE:
        raise ValidationError(_("Support e-mails are written on support cases, not on leads."))
    if reply_to is not None and (
        not isinstance(reply_to, InboundEmail) or reply_to.case_id != case.pk
    ):
        raise ValidationError(_("Answer a message of this case."))
    to = (case.contact.email if case.contact and case.contact.email else "") or case.customer.email
    if reply_to is not None and reply_to.from_address:
        to = reply_to.from_address
    if not to:
        raise ValidationError(
            _("Neither the contact nor the customer has an e-mail address; add one first.")
        )
    if not isinstance(subject, str) or not subject.strip():
        raise ValidationError(_("Give a subject."))
    subject = _with_reference(case, subject.strip())
    longest = column_length(SupportEmail, "subject")
    if len(subject) > longest:
        raise ValidationError(
            _(
                "The subject has at most %(max)s characters: the case reference %(prefix)s is"
                " put in front of it."
            )
            % {"max": subject_max_length(case), "prefix": _subject_prefix(case).strip()}
        )
    if not isinstance(body, str) or not body.strip() or len(body) > 20_000:
        raise ValidationError(_("Write the text of the e-mail (at most 20'000 characters)."))
    statement = credit_statement(
        customer=case.customer, on=timezone.localdate(), contact=case.contact
    )
    in_reply_to, references = _thread_headers(reply_to)
    email = SupportEmail.objects.create(
        case=case,
        to=to,
        subject=subject,
        body=f"{body.strip()}\n\n--\n{statement}\n",
        language=case.customer.language,
        created_by=created_by,
        message_id=new_message_id(),
        in_reply_to=in_reply_to,
        references=references,
    )
    case_search_refresh(case=case)
    transaction.on_commit(lambda: deliver_support_email.enqueue(email.pk))
    return email


@service
def automatic_answer(*, inbound: InboundEmail, kind: str) -> SupportEmail:
    """The desk's own answer to a new message (R15), in the customer's language, with the
    thread headers: ``acknowledge`` (the reference and the credit, R10) or
    ``rental_switch`` (support needs the current rental version; the Infoline's number).
    The caller has checked that the message may be answered (never automatic mail, at
    most one automatic answer per sender and day)."""
    case = inbound.case
    assert case is not None  # the caller files the message on a case first
    customer = case.customer
    try:
        phone = company().phone
    except ValidationError:
        phone = ""
    with translation.override(customer.language):
        greeting = _("Good day") + (f" {inbound.from_name}," if inbound.from_name else ",")
        if kind == "acknowledge":
            text = _(
                "We have received your request; its reference is %(reference)s. Please keep"
                " it in the subject of your replies. We will answer you as soon as possible."
            ) % {"reference": case.reference}
        else:
            text = _(
                "Support is given for the current rental version of our software only."
                " Please contact the Infoline to move to it, without obligation."
            )
            if phone:
                text += " " + _("Infoline: %(phone)s") % {"phone": phone}
        # R10: every support e-mail ends with the current credit (without a licence: none).
        statement = credit_statement(
            customer=customer, on=timezone.localdate(), contact=inbound.contact
        )
        signature = _("Your Q3 Software support")
        body = f"{greeting}\n\n{text}\n\n{signature}\n\n--\n{statement}\n"
        subject = reply_subject(inbound.subject or case.subject, case.reference)[:200]
    in_reply_to, references = _thread_headers(inbound)
    email = SupportEmail.objects.create(
        case=case,
        to=inbound.from_address,
        subject=subject,
        body=body,
        language=customer.language,
        message_id=new_message_id(),
        in_reply_to=in_reply_to,
        references=references,
        automatic=True,
    )
    case_search_refresh(case=case)
    transaction.on_commit(lambda: deliver_support_email.enqueue(email.pk))
    return email


@service
@transaction.atomic
def email_retry(*, email: SupportEmail) -> SupportEmail:
    """Send a failed e-mail again (or one whose sending was interrupted)."""
    email = SupportEmail.objects.select_for_update().get(pk=email.pk)
    if not email.retryable:
        raise ValidationError(_("Only a failed e-mail can be sent again."))
    email.status = EmailStatus.QUEUED
    email.save(update_fields=["status"])
    transaction.on_commit(lambda: deliver_support_email.enqueue(email.pk))
    return email


def _failure(exc: Exception) -> str:
    """Why sending failed, for the log: the class and the server's reply code. The text of
    an SMTP error may quote the recipients' addresses, which stay out of the log."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _reply in exc.recipients.values()})
        return f"{type(exc).__name__} {', '.join(map(str, codes))}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__} {exc.smtp_code}"
    if isinstance(exc, smtplib.SMTPException):
        return type(exc).__name__
    return f"{type(exc).__name__}: {exc}"


@task()
def deliver_support_email(email_id: int) -> str:
    """Background: send one stored support e-mail through Django's e-mail backend.

    Claim it (queued → sending) and commit, talk to the mail server with no transaction
    open, then record the result: a slow or hanging server never holds a row lock.
    """
    with transaction.atomic():
        claimed = SupportEmail.objects.filter(pk=email_id, status=EmailStatus.QUEUED).update(
            status=EmailStatus.SENDING, claimed_at=timezone.now()
        )
    email = SupportEmail.objects.get(pk=email_id)
    if not claimed:
        # Sent meanwhile, being sent, or failed and not retried: a task run twice.
        logger.debug("Support e-mail %s skipped: it is %s", email.pk, email.status)
        return email.status
    headers = {"Message-ID": email.message_id or new_message_id()}
    if email.in_reply_to:
        headers["In-Reply-To"] = email.in_reply_to
    if email.references:
        headers["References"] = email.references
    if email.automatic:
        headers["Auto-Submitted"] = "auto-replied"
    try:
        EmailMessage(
            subject=email.subject,
            body=email.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email.to],
            headers=headers,
        ).send()
    except Exception as exc:
        # The desk sees the error on the case and retries; the log tells the operator
        # (without the address: the e-mail's id says it). The mail server refusing or
        # unreachable needs no traceback; anything else is a bug and gets one.
        logger.error(
            "Support e-mail %s of case %s not sent (attempt %s): %s",
            email.pk,
            email.case_id,
            email.attempts + 1,
            _failure(exc),
            exc_info=not isinstance(exc, OSError),
        )
        status, error, sent_at = EmailStatus.FAILED, f"{type(exc).__name__}: {exc}", None
    else:
        logger.info("Support e-mail %s of case %s sent", email.pk, email.case_id)
        status, error, sent_at = EmailStatus.SENT, "", timezone.now()
    with transaction.atomic():
        SupportEmail.objects.filter(pk=email.pk, status=EmailStatus.SENDING).update(
            status=status,
            error=error,
            sent_at=sent_at,
            attempts=email.attempts + 1,
            message_id=headers["Message-ID"],
        )
    return status
