"""The case as one conversation: the timeline, replying from the case (threading, quote,
canned replies), internal notes and the attachment downloads."""

from datetime import date, time, timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.callbacks import callback_attempt, callback_schedule
from cases.emails import email_send
from cases.models import (
    CannedReply,
    CaseNote,
    EmailAttachment,
    InboundEmail,
    SupportEmail,
)
from cases.selectors import case_timeline
from cases.services import (
    case_assign,
    case_create,
    case_follow_up,
    case_note_add,
    case_set_status,
    time_entry_add,
    time_entry_remove,
)
from q3helpdesk.roles import Role
from tests.factories import ContactFactory, make_case, rental_customer

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)


@pytest.fixture
def support(user_with_role):
    return user_with_role(Role.SUPPORT, username="stefan", first_name="Stefan", last_name="Ott")


@pytest.fixture
def desk(client, support):
    client.force_login(support)
    return client


def incoming(case=None, n=0, **kwargs):
    """An incoming message as the parser stores it (tests do not need the parser)."""
    values = {
        "message_id": f"<m{n}-{kwargs.get('subject', 'x')}@kunde.example>",
        "status": "filed" if case else "inbox",
        "case": case,
        "customer": case.customer if case else None,
        "from_address": "anna@kunde.example",
        "from_name": "Anna Keller",
        "subject": "Lohnlauf bricht ab",
        "text": "Guten Tag\nDer Lohnlauf bricht ab.",
        "raw": ContentFile(b"From: anna@kunde.example\r\n\r\nHallo", name="m.eml"),
    }
    values.update(kwargs)
    return InboundEmail.objects.create(**values)


def attach(email, name="Fehler.pdf", data=b"%PDF-1.4 fake"):
    attachment = EmailAttachment(
        inbound=email, filename=name, content_type="application/pdf", size=len(data)
    )
    attachment.file.save("a.bin", ContentFile(data), save=True)
    return attachment


@pytest.fixture
def case(support):
    customer = rental_customer(number="10001", language="de", email="info@kunde.example")
    contact = ContactFactory(customer=customer, name="Anna Keller", email="anna@kunde.example")
    return make_case(customer, contact=contact, channel="email", assignee=support)


def fill(case, user, rows: int) -> None:
    """``rows`` of every kind of timeline item on ``case``."""
    for n in range(rows):
        message = incoming(case, n, subject=f"Frage {n}")
        attach(message)
        email_send(case=case, subject=f"Antwort {n}", body="Hallo", reply_to=message)
        case_note_add(case=case, text=f"Notiz {n}", created_by=user)
        entry = time_entry_add(case=case, activity="support", minutes=5, performed_on=DAY)
        if n % 2:
            time_entry_remove(entry=entry, removed_by=user)
        callback = callback_schedule(
            case=case,
            phone="031 381 22 10",
            reason=f"Rückruf {n}",
            windows=[(DAY + timedelta(days=1), time(10, 0), time(11, 0))],
            created_by=user,
        )
        callback_attempt(callback=callback, outcome="no_answer", note=f"Combox {n}", user=user)
        case_set_status(case=case, status="waiting", by=user)
        case_set_status(case=case, status="open", by=user)


# --- the selector -------------------------------------------------------------------------


def test_timeline_merges_everything_oldest_first(case, support, time_machine):
    time_machine.move_to("2026-03-02 09:00 +01:00", tick=False)
    message = incoming(case, subject="Frage")
    time_machine.shift(60)
    email_send(case=case, subject="Antwort", body="Hallo", reply_to=message)
    time_machine.shift(60)
    case_note_add(case=case, text="Kunde ruft oft an", created_by=support)
    time_machine.shift(60)
    entry = time_entry_add(case=case, activity="support", minutes=10, performed_on=DAY)
    time_machine.shift(60)
    time_entry_remove(entry=entry, removed_by=support)
    callback = callback_schedule(
        case=case,
        phone="031 381 22 10",
        reason="Rückfrage",
        windows=[(DAY, time(14, 0), time(15, 0))],
        created_by=support,
    )
    time_machine.shift(60)
    callback_attempt(callback=callback, outcome="voicemail", note="Combox", user=support)
    time_machine.shift(60)
    case_set_status(case=case, status="resolved", by=support)

    kinds = [item.kind for item in case_timeline(case)]
    assert kinds == [
        "inbound",
        "outgoing",
        "note",
        "time",
        "callback",
        "attempt",
        "note",  # resolving the case cancelled its open callback, saying so
        "event",
    ]


def test_follow_up_links_both_ways(case, support):
    case_set_status(case=case, status="resolved", by=support)
    case_set_status(case=case, status="closed", by=support)
    later = case_follow_up(case=case, subject="Wieder der Lohnlauf")
    assert [i.obj.pk for i in case_timeline(case) if i.kind == "followed_by"] == [later.pk]
    assert [i.obj.pk for i in case_timeline(later) if i.kind == "follows"] == [case.pk]


@pytest.mark.parametrize("rows", [1, 30])
def test_timeline_reads_a_fixed_number_of_queries(
    case, support, django_assert_max_num_queries, rows
):
    fill(case, support, rows)
    # inbound + attachments, outgoing + attachments, notes, time entries, callbacks +
    # attempts, events, followed-by cases
    with django_assert_max_num_queries(11):  # 11th: the windows of the callbacks
        items = case_timeline(case)
    assert len([i for i in items if i.kind == "inbound"]) == rows


# --- the case page ------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 30])
def test_case_page_query_budget(desk, case, support, django_assert_max_num_queries, rows):
    fill(case, support, rows)
    CannedReply.objects.create(title="Gruss", language="de", body="Guten Tag {contact}")
    # 4 session, user and permissions; 1 case; 2 time card; 3 support status; 9 timeline
    # (the time entries come from the time card); 1 desk members; 1 canned replies;
    # 1 roles; 2 navigation counts (callbacks due, inbox); 1 the windows of the callbacks card
    with django_assert_max_num_queries(27):  # +2: the activities (form, names)
        response = desk.get(f"/cases/{case.pk}/")
    html = response.content.decode()
    assert html.count('data-testid="timeline-inbound"') == rows
    assert html.count('data-testid="timeline-outgoing"') == rows
    assert html.count('data-testid="timeline-note"') == rows
    assert html.count('data-testid="timeline-attempt"') == rows


def _page_queries(client, case) -> tuple[list[str], list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/cases/{case.pk}/")
    return [item.kind for item in response.context["timeline"]], [q["sql"] for q in queries]


# What reading each part of the timeline selects (the navigation's counts select none).
PART_READS = [
    '"cases_inboundemail"."message_id"',
    '"cases_supportemail"."body"',
    '"cases_casenote"."text"',
    '"cases_callback"."reason"',
    '"cases_caseevent"."old"',
    '"cases_case"."subject", "cases_case"."created_at" FROM',
]


def test_the_case_page_reads_the_parts_of_the_timeline_a_case_has(desk, case, support):
    """The page asks with the case which parts of its timeline it has and reads those
    only: a bare case spares six queries, a case with every part shows every part."""
    bare, bare_queries = _page_queries(desk, case)
    assert bare == []
    fill(case, support, 1)
    case_set_status(case=case, status="resolved", by=support)
    case_set_status(case=case, status="closed", by=support)
    later = case_follow_up(case=case, subject="Wieder der Lohnlauf")
    full, full_queries = _page_queries(desk, case)
    kinds = {"inbound", "outgoing", "note", "time", "callback", "attempt", "event"}
    assert set(full) == kinds | {"followed_by"}
    assert full == [item.kind for item in case_timeline(case)]  # as the case read alone
    for part in PART_READS:
        assert not any(part in sql for sql in bare_queries), part
        assert any(part in sql for sql in full_queries), part
    assert [i.kind for i in case_timeline(later) if i.kind == "follows"] == ["follows"]
    follows, _ = _page_queries(desk, later)
    assert follows == ["follows"]


def test_case_page_shows_the_conversation(desk, case, support):
    message = incoming(case, subject="Frage", html="<p>Hallo</p>")
    attach(message, name="Auszug.pdf")
    email_send(case=case, subject="Antwort", body="Bonjour", reply_to=message)
    case_note_add(case=case, text="Nur intern", created_by=support)
    entry = time_entry_add(case=case, activity="support", minutes=10, performed_on=DAY)
    time_entry_remove(entry=entry, removed_by=support)
    html = desk.get(f"/cases/{case.pk}/").content.decode()
    assert "Der Lohnlauf bricht ab." in html and "Auszug.pdf" in html
    assert f'href="/attachments/{message.attachments.get().pk}/"' in html
    assert f'href="/inbox/{message.pk}/raw/"' in html
    assert "Nur intern" in html and 'data-testid="timeline-note"' in html
    assert "text-decoration-line-through" in html.split('data-testid="timeline-time"')[0][-200:]
    assert 'data-testid="reply"' in html


def test_incoming_text_is_escaped_and_html_is_never_shown(desk, case):
    incoming(
        case,
        text="<script>alert(1)</script> & <b>fett</b>",
        html='<p>Hallo</p><img src="https://tracker.example/pixel.gif">',
    )
    html = desk.get(f"/cases/{case.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;fett&lt;/b&gt;" in html
    assert "tracker.example" not in html


def test_html_only_message_points_to_the_original(desk, case):
    incoming(case, text="", html="<p>Nur HTML</p>")
    response = desk.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "Nur HTML" not in html and "download the original" in html


def test_other_roles_read_the_timeline_but_cannot_reply(client, user_with_role, case):
    incoming(case)
    client.force_login(user_with_role(Role.BILLING))
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="timeline-inbound"' in html
    assert 'data-testid="reply"' not in html and 'data-testid="email-form"' not in html
    assert 'data-testid="note-form"' not in html


# --- replying -----------------------------------------------------------------------------


def test_reply_form_quotes_the_message_and_keeps_the_reference(desk, case):
    message = incoming(case, subject="AW: Lohnlauf bricht ab", sent_at=None)
    response = desk.get(f"/cases/{case.pk}/emails/form/", {"reply_to": message.pk})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="email-form"')  # the partial, for htmx
    assert f'value="Re: [{case.reference}] Lohnlauf bricht ab"' in html
    assert f'name="reply_to" value="{message.pk}"' in html
    assert "&gt; Der Lohnlauf bricht ab." in html and "Anna Keller" in html
    # without htmx: the same prefill on the page itself
    page = desk.get(f"/cases/{case.pk}/", {"reply_to": message.pk})
    form = page.context["email_form"]
    assert form.initial["reply_to"] == message.pk
    assert form.initial["subject"] == f"Re: [{case.reference}] Lohnlauf bricht ab"
    assert "> Der Lohnlauf bricht ab." in form.initial["body"]


def test_reply_threads_to_the_message_answered(desk, case):
    message = incoming(case, message_id="<orig@kunde.example>", references="<first@kunde.example>")
    response = desk.post(
        f"/cases/{case.pk}/emails/",
        {
            "subject": f"Re: [{case.reference}] Lohnlauf",
            "body": "Guten Tag\n\n> Der Lohnlauf",
            "reply_to": message.pk,
        },
    )
    assert response.status_code == 302
    sent = SupportEmail.objects.get()
    assert sent.in_reply_to == "<orig@kunde.example>"
    assert sent.references == "<first@kunde.example> <orig@kunde.example>"
    assert sent.to == "anna@kunde.example"
    assert sent.subject.count(f"[{case.reference}]") == 1
    assert sent.body.rstrip().splitlines()[-1].startswith("Ihr aktuelles Supportguthaben")


def test_reply_to_a_message_of_another_case_is_refused(desk, case):
    other = case_create(customer=case.customer, channel="email", subject="Anderes")
    foreign = incoming(other, subject="Fremd")
    response = desk.post(
        f"/cases/{case.pk}/emails/",
        {"subject": "Re", "body": "Hallo", "reply_to": foreign.pk},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "Answer a message of this case." in response.content.decode()
    assert not SupportEmail.objects.exists()
    # what was typed stays on the page
    assert response.context["email_form"].data["body"] == "Hallo"
    # a reply form for a foreign or unknown id is a blank form, not an error
    for value in (foreign.pk, "abc", "999999"):
        html = desk.get(f"/cases/{case.pk}/emails/form/", {"reply_to": value}).content.decode()
        assert 'name="reply_to" type="hidden"' in html or 'type="hidden" name="reply_to"' in html
        assert 'name="reply_to" value' not in html and 'data-testid="replying"' not in html


def test_canned_reply_is_filled_for_the_case(desk, case):
    reply = CannedReply.objects.create(
        title="Gruss", language="de", body="Guten Tag {contact} von {customer}\n{credit}"
    )
    CannedReply.objects.create(title="Bonjour", language="fr", body="Bonjour")
    CannedReply.objects.create(title="Alt", language="de", body="alt", active=False)
    page = desk.get(f"/cases/{case.pk}/")
    assert [r.title for r in page.context["canned_replies"]] == ["Gruss"]
    response = desk.get(f"/cases/{case.pk}/canned/{reply.pk}/")
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert text.startswith(f"Guten Tag Anna Keller von {case.customer.name}\n")
    assert text.endswith("Ihr aktuelles Supportguthaben: 5 Min., gültig bis 31.12.2026.")
    inactive = CannedReply.objects.get(title="Alt")
    assert desk.get(f"/cases/{case.pk}/canned/{inactive.pk}/").status_code == 404


def test_canned_replies_need_the_work_permission(client, user_with_role, case):
    reply = CannedReply.objects.create(title="Gruss", language="de", body="Hallo")
    client.force_login(user_with_role(Role.MANAGER))
    assert client.get(f"/cases/{case.pk}/canned/{reply.pk}/").status_code == 403
    assert client.get(f"/cases/{case.pk}/emails/form/").status_code == 403


# --- internal notes -----------------------------------------------------------------------


def test_internal_note_from_the_case_page(desk, case, support):
    response = desk.post(f"/cases/{case.pk}/notes/", {"text": "Kunde ist ungeduldig"})
    assert response.status_code == 302 and response["Location"].endswith("#timeline-end")
    note = CaseNote.objects.get()
    assert note.created_by == support and note.case == case
    assert not SupportEmail.objects.exists()  # never e-mailed


@pytest.mark.parametrize("text", ["", "   ", "x" * 10_001])
def test_bad_notes_are_refused(desk, case, text):
    response = desk.post(f"/cases/{case.pk}/notes/", {"text": text})
    assert response.status_code == 200 and response.context["note_form"].errors
    assert not CaseNote.objects.exists()


def test_notes_need_the_work_permission(client, user_with_role, case):
    client.force_login(user_with_role(Role.BILLING))
    assert client.post(f"/cases/{case.pk}/notes/", {"text": "x"}).status_code == 403
    assert not CaseNote.objects.exists()


# --- downloads ----------------------------------------------------------------------------


def test_attachment_is_a_download_never_inline(desk, case):
    message = incoming(case)
    attachment = attach(message, name="Fehler <Lohn>.html", data=b"<script>x</script>")
    response = desk.get(f"/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "inline" not in response["Content-Disposition"]
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == b"<script>x</script>"


def test_raw_message_is_a_download(desk, case):
    message = incoming(case)
    response = desk.get(f"/inbox/{message.pk}/raw/")
    assert response["Content-Disposition"] == f'attachment; filename="message-{message.pk}.eml"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"From: anna@kunde.example")


def test_header_breaking_file_names_are_neutralised(desk, case):
    attachment = attach(incoming(case), name="a\r\nSet-Cookie: x=1/../b.pdf")
    response = desk.get(f"/attachments/{attachment.pk}/")
    assert response.status_code == 200 and "Set-Cookie" not in response.cookies
    assert (
        "\n" not in response["Content-Disposition"]
        and "/" not in response["Content-Disposition"].partition("filename")[2]
    )


def test_downloads_404_for_unknown_ids_or_missing_files(desk, case):
    assert desk.get("/attachments/999/").status_code == 404
    assert desk.get("/inbox/999/raw/").status_code == 404
    attachment = attach(incoming(case))
    attachment.file.storage.delete(attachment.file.name)
    assert desk.get(f"/attachments/{attachment.pk}/").status_code == 404


def test_downloads_need_a_desk_role(client, user_with_role, case):
    attachment = attach(incoming(case))
    for path in (f"/attachments/{attachment.pk}/", f"/inbox/{attachment.inbound_id}/raw/"):
        assert client.get(path).status_code == 302  # anonymous: to the login
        client.force_login(user_with_role(None))
        assert client.get(path).status_code == 403
        client.logout()


def test_assignment_events_name_who_and_whom(desk, case, support, user_with_role):
    colleague = user_with_role(Role.INFOLINE, username="isa", first_name="Isabelle")
    case_assign(case=case, assignee=colleague, by=support)
    html = desk.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Assigned to Isabelle" in html and "Stefan Ott" in html
