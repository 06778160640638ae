"""Support e-mail for the demo: a conversation on a case, a message waiting in the inbox and
canned replies, all through the same services as real mail. Safe to run again (the
messages have fixed Message-IDs, so they are filed once)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from cases.emails import email_send
from cases.inbound import mail_file
from cases.mail_parse import quote_text
from cases.models import CannedReply, InboundEmail

CANNED_REPLIES = (
    (
        "fr",
        "Avoir d'assistance",
        "Bonjour {contact},\n\nVoici l'état de votre avoir d'assistance : {credit}\n\n"
        "Avec nos meilleures salutations",
    ),
    (
        "de",
        "Supportguthaben",
        "Guten Tag {contact}\n\nHier der Stand Ihres Supportguthabens: {credit}\n\n"
        "Freundliche Grüsse",
    ),
    (
        "en",
        "Support credit",
        "Dear {contact},\n\nThis is your current support credit: {credit}\n\nKind regards",
    ),
)


def _message(sender: str, name: str, subject: str, text: str, message_id: str, **extra) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>"
    msg["To"] = "support@q3software.example"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(timezone.now())
    msg["Message-ID"] = message_id
    for key, value in extra.items():
        msg[key.replace("_", "-")] = value
    msg.set_content(text)
    return msg.as_bytes()


def seed_mail() -> int:
    """File the demo messages not filed yet; returns how many were new."""
    for language, title, body in CANNED_REPLIES:
        CannedReply.objects.get_or_create(title=title, language=language, defaults={"body": body})
    new = 0
    first = mail_file(
        raw=_message(
            "sophie.favre@boulangerie-favre.ch",
            "Sophie Favre",
            "Clôture annuelle : écart de TVA",
            "Bonjour,\n\nLors de la clôture, le décompte TVA du 4e trimestre présente un écart"
            " de CHF 12.40 avec le grand livre. Pouvez-vous nous aider ?\n\n"
            "Meilleures salutations\nSophie Favre",
            "<demo-cloture-1@boulangerie-favre.ch>",
        )
    )
    new += first.created
    case = first.email.case
    if case is not None and not case.emails.exists():
        support = get_user_model().objects.filter(username="support").first()
        inbound = first.email
        answer = email_send(
            case=case,
            subject=f"Re: {inbound.subject}",
            body="Bonjour Madame Favre,\n\nMerci de nous envoyer le journal TVA du 4e trimestre"
            " (menu Rapports > TVA) ; nous le comparons avec le grand livre.\n\n"
            "Meilleures salutations\nStefan Support\n\n"
            + quote_text(inbound.text, author=inbound.from_name, sent=inbound.sent_at),
            created_by=support,
            reply_to=inbound,
        )
        reply = mail_file(
            raw=_message(
                "sophie.favre@boulangerie-favre.ch",
                "Sophie Favre",
                f"RE: {answer.subject}",
                "Voici le journal. Merci !\n\nSophie Favre",
                "<demo-cloture-2@boulangerie-favre.ch>",
                In_Reply_To=answer.message_id,
                References=f"{inbound.message_id} {answer.message_id}",
            )
        )
        new += reply.created
    if not InboundEmail.objects.filter(message_id="<demo-unbekannt-1@bluewin.example>").exists():
        new += mail_file(
            raw=_message(
                "p.keller@bluewin.example",
                "Peter Keller",
                "Frage zur Lohnabrechnung",
                "Grüezi\n\nWir haben seit gestern eine Fehlermeldung beim Lohnlauf. Können Sie"
                " uns zurückrufen? 079 555 12 34\n\nPeter Keller, Keller Haustechnik",
                "<demo-unbekannt-1@bluewin.example>",
            )
        ).created
    return new
