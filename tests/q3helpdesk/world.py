"""One small desk with an object behind every URL parameter of the project.

The permission matrix and the page fuzzing request every URL pattern of the resolver; each
``<int:pk>`` or ``<str:number>`` needs a real object to point at, or every role would get
the same 404 and the test would prove nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from billing.models import Invoice, InvoiceRun
from billing.services import invoice_drafts, invoice_issue, record_usage
from cases.callbacks import callback_schedule
from cases.emails import email_send
from cases.models import CannedReply, EmailAttachment, InboundEmail
from cases.services import case_create, time_entry_add
from customers.models import ErpImport, ErpImportStatus
from tests.factories import ContactFactory, make_company, rental_customer

# The desk's day in these tests: inside the factories' rental period (2026).
DESK_DAY = date(2026, 3, 2)


@dataclass
class World:
    kwargs: dict[str, dict[str, object]]
    # Pages that need a query string to point at something (a new case is for a customer).
    queries: dict[str, str]


def build_world() -> World:
    """Objects for every parameter; URL names map to the keyword arguments to reverse."""
    make_company()
    customer = rental_customer(rent=Decimal("50.00"), name="Muster AG")
    contact = ContactFactory(customer=customer, email="anna@muster.example")
    case = case_create(customer=customer, channel="phone", subject="Lohnlauf", contact=contact)
    entry = time_entry_add(
        case=case, activity="support", minutes=20, performed_on=DESK_DAY, note="Erklärt"
    )
    callback = callback_schedule(
        case=case,
        phone="+41 31 000 00 00",
        reason="Rückfrage",
        windows=[(DESK_DAY, time(14, 0), time(16, 0))],
    )
    email = email_send(case=case, subject="Ihre Frage", body="Guten Tag")
    reply = CannedReply.objects.create(title="Danke", language="de", body="Danke, {customer}")
    inbound = InboundEmail.objects.create(
        message_id="<w1@unbekannt.example>",
        status="inbox",
        from_address="neu@unbekannt.example",
        from_name="Peter Neu",
        subject="Hilfe",
        text="Ich brauche Hilfe.",
        raw=ContentFile(b"From: neu@unbekannt.example\r\n\r\nHilfe", name="w.eml"),
    )
    attachment = EmailAttachment.objects.create(
        inbound=inbound,
        filename="notiz.txt",
        content_type="text/plain",
        size=5,
        file=ContentFile(b"Hallo", name="notiz.txt"),
    )
    # Two customers with billable work in March: one draft, one issued invoice.
    billed = []
    for name in ("Beispiel GmbH", "Exemple SA"):
        billed.append(rental_customer(rent=Decimal("50.00"), name=name))
        record_usage(
            customer=billed[-1],
            activity="support",
            minutes=20,
            performed_on=DESK_DAY,
            work_ref=f"C-9{len(billed)}",
            label="Frage",
        )
    draft, to_issue = invoice_drafts(
        period_start=date(2026, 3, 1), period_end=date(2026, 3, 31), customers=billed
    )
    issued = invoice_issue(invoice=to_issue, render_pdf=False)
    run = InvoiceRun.objects.create(period_start=date(2026, 3, 1), period_end=date(2026, 3, 31))
    line = draft.lines.first()
    assert Invoice.objects.filter(status="draft").exists() and line is not None
    erp = ErpImport.objects.create(
        name="kunden.csv",
        file=ContentFile(b"Satzart;Kundennummer\r\nKunde;10001\r\n", name="kunden.csv"),
        status=ErpImportStatus.CHECKED,
    )
    by_name = {
        "erp_import": {"pk": erp.pk},
        "erp_import_confirm": {"pk": erp.pk},
        "invoice_run": {"pk": run.pk},
        "invoice": {"pk": draft.pk},
        "invoice#issued": {"pk": issued.pk},  # its page holds the cancellation form
        "invoice_pdf": {"pk": issued.pk},
        "invoice_issue": {"pk": draft.pk},
        "invoice_discard": {"pk": draft.pk},
        "invoice_cancel": {"pk": issued.pk},
        "invoice_line_remove": {"pk": draft.pk, "line_pk": line.pk},
        "contact_new": {"number": customer.number},
        "contact_edit": {"number": customer.number, "pk": contact.pk},
        "customer_detail": {"number": customer.number},
        "canned_reply_text": {"pk": case.pk, "reply_pk": reply.pk},
        "email_retry": {"pk": email.pk},
        "attachment_download": {"pk": attachment.pk},
        "inbox_detail": {"pk": inbound.pk},
        "inbound_raw": {"pk": inbound.pk},
        "inbox_assign": {"pk": inbound.pk},
        "time_entry_remove": {"pk": case.pk, "entry_pk": entry.pk},
    }
    for name in ("callback_claim", "callback_attempt", "callback_cancel", "callback_release"):
        by_name[name] = {"pk": callback.pk}
    return World(
        kwargs=by_name | {"__case__": {"pk": case.pk}},
        queries={"case_new": f"?customer={customer.number}"},
    )


def site_patterns(resolver=None, prefix: str = "", namespace: str = ""):
    """(route, URL name) of every pattern outside the admin, in the resolver's order."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            # The admin has its own tests; the API is for tokens, not sessions (its scopes
            # are tested in tests/q3helpdesk/api).
            if pattern.namespace in ("admin", "api") or pattern.app_name == "admin":
                continue
            space = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from site_patterns(pattern, prefix + str(pattern.pattern), space)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + str(pattern.pattern), namespace + pattern.name


def url_of(world: World, name: str, route: str) -> str:
    """The URL of pattern ``name`` pointing at the world's objects."""
    short = name.rpartition(":")[2]  # "name#variant" is the same page for another object
    name = name.partition("#")[0]
    query = world.queries.get(short, "")
    if "<" not in route:
        return reverse(name) + query
    kwargs = world.kwargs.get(short) or world.kwargs["__case__"]
    return reverse(name, kwargs=kwargs) + query
