"""Support e-mails (R10): written on the case, sent by the worker after the commit.

Every e-mail ends with the customer's current credit, in the customer's language. The
message is stored first; sending happens in the background (django-tasks, database
backend) once the transaction has committed; a failure is recorded and can be retried.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_tasks import task

from billing.selectors import credit_balance
from customers.models import Customer
from customers.selectors import support_status

from .models import Case, CaseKind, EmailStatus, SupportEmail


def credit_statement(*, customer: Customer, on: date, contact=None) -> str:
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
    return SupportEmail._meta.get_field("subject").max_length - len(_subject_prefix(case))


@transaction.atomic
def email_send(*, case: Case, subject: str, body: str, created_by=None) -> SupportEmail:
    """Store a reply to the case's contact (or the customer) and have the worker send it."""
    if not isinstance(case, Case) or case.pk is None:
        raise ValidationError(_("Choose an existing case."))
    if case.kind != CaseKind.CASE:
        raise ValidationError(_("Support e-mails are written on support cases, not on leads."))
    to = (case.contact.email if case.contact and case.contact.email else "") or case.customer.email
    if not to:
        raise ValidationError(
            _("Neither the contact nor the customer has an e-mail address; add one first.")
        )
    if not isinstance(subject, str) or not subject.strip():
        raise ValidationError(_("Give a subject."))
    longest = subject_max_length(case)
    if len(subject.strip()) > longest:
        raise ValidationError(
            _(
                "The subject has at most %(max)s characters: the case reference %(prefix)s is"
                " put in front of it."
            )
            % {"max": longest, "prefix": _subject_prefix(case).strip()}
        )
    if not isinstance(body, str) or not body.strip() or len(body) > 20_000:
        raise ValidationError(_("Write the text of the e-mail (at most 20'000 characters)."))
    statement = credit_statement(
        customer=case.customer, on=timezone.localdate(), contact=case.contact
    )
    email = SupportEmail.objects.create(
        case=case,
        to=to,
        subject=f"{_subject_prefix(case)}{subject.strip()}",
        body=f"{body.strip()}\n\n--\n{statement}\n",
        language=case.customer.language,
        created_by=created_by,
    )
    transaction.on_commit(lambda: deliver_support_email.enqueue(email.pk))
    return email


@transaction.atomic
def email_retry(*, email: SupportEmail) -> SupportEmail:
    """Send a failed e-mail again."""
    email = SupportEmail.objects.select_for_update().get(pk=email.pk)
    if email.status != EmailStatus.FAILED:
        raise ValidationError(_("Only a failed e-mail can be sent again."))
    email.status = EmailStatus.QUEUED
    email.save(update_fields=["status"])
    transaction.on_commit(lambda: deliver_support_email.enqueue(email.pk))
    return email


@task()
def deliver_support_email(email_id: int) -> str:
    """Background: send one stored support e-mail through Django's e-mail backend."""
    with transaction.atomic():
        email = SupportEmail.objects.select_for_update().get(pk=email_id)
        if email.status != EmailStatus.QUEUED:
            return email.status  # sent meanwhile, or failed and not retried
        email.attempts += 1
        try:
            EmailMessage(
                subject=email.subject,
                body=email.body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[email.to],
            ).send()
        except Exception as exc:
            email.status, email.error = EmailStatus.FAILED, f"{type(exc).__name__}: {exc}"
        else:
            email.status, email.error, email.sent_at = EmailStatus.SENT, "", timezone.now()
        email.save(update_fields=["status", "error", "sent_at", "attempts"])
        return email.status
