"""Reading incoming e-mail (R15): what the desk needs from each shape real clients send,
and that no message, however broken, gets past the parser as anything but a value or
UnreadableMessage."""

import hashlib
import logging
import re
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.mail_parse import (
    FORWARDED,
    MAX_PARTS,
    ZURICH,
    ParsedMessage,
    UnreadableMessage,
    case_reference_in,
    html_to_text,
    parse_message,
    quote_text,
    reply_subject,
    safe_filename,
)

CORPUS = Path(__file__).parent / "mail_corpus"


def raw(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def parse(name: str) -> ParsedMessage:
    return parse_message(raw(name))


def message(*headers: str, body: str = "Guten Tag\n", charset: str = "utf-8") -> bytes:
    """A small message; headers given replace the defaults of the same name."""
    given_names = {h.split(":", 1)[0].lower() for h in headers}
    defaults = [
        "From: Hans Muster <hans.muster@example.ch>",
        "To: support@q3software.ch",
        "Subject: Frage",
        "Date: Mon, 30 Nov 2026 14:05:00 +0100",
        "Message-ID: <frage-1@example.ch>",
        "MIME-Version: 1.0",
        f"Content-Type: text/plain; charset={charset}",
    ]
    lines = [h for h in defaults if h.split(":", 1)[0].lower() not in given_names]
    return "\n".join([*lines, *headers, "", body]).encode("utf-8", "surrogateescape")


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def active_html(html: str) -> list[str]:
    """What in sanitised HTML could run, load or style anything: should be nothing."""
    parser = _Tags()
    parser.feed(html)
    parser.close()
    problems = []
    for tag, attrs in parser.found:
        if tag in ("script", "style", "img", "iframe", "object", "embed", "link", "meta", "svg"):
            problems.append(tag)
        problems += [name for name in attrs if name.startswith("on") or name in ("src", "style")]
        href = (attrs.get("href") or "").strip().lower()
        if href and not href.startswith(("http:", "https:", "mailto:", "tel:", "#")):
            problems.append(href)
    return problems


# --- the corpus: one test per shape --------------------------------------------------------


def test_outlook_reply_threads_and_reads_the_plain_part():
    parsed = parse("outlook_reply.eml")
    assert parsed.message_id == (
        "<ZR0P278MB01239F8E7D6C5B4A3F2E1D0C9B8A7F6E5D4@ZR0P278MB0123.CHEP278.PROD.OUTLOOK.COM>"
    )
    assert parsed.in_reply_to == ["<case-17-2.20261130130500@q3software.ch>"]
    assert parsed.references == [
        "<case-17-1.20261127091500@q3software.ch>",
        "<case-17-2.20261130130500@q3software.ch>",
    ]
    assert parsed.subject == "AW: [C-17] Fehlermeldung beim MWST-Abschluss"
    assert parsed.case_references == [17]
    assert (parsed.from_address, parsed.from_name) == (
        "beat.mueller@treuhand-mueller.ch",
        "Beat Müller",
    )
    assert parsed.to == ["support@q3software.ch"]
    assert parsed.date == datetime(2026, 11, 30, 16, 42, 11, tzinfo=ZURICH)
    assert "fehlt die Ziffer 405 (Vorsteuer Investitionen)" in parsed.text
    assert "Gesendet: Montag, 30. November 2026 14:05" in parsed.text
    assert "Ziffer 405" in parsed.html
    assert active_html(parsed.html) == []
    assert "MsoNormal" not in parsed.html and "font-face" not in parsed.html
    assert not parsed.automatic and not parsed.bounce and parsed.attachments == []


def test_outlook_html_reads_as_lines_not_paragraphs():
    # Outlook writes every line as <p class=MsoNormal>; an HTML-only Outlook message must
    # not come out double-spaced.
    source = BytesParser(policy=policy.default).parsebytes(raw("outlook_reply.eml"))
    html = source.get_body(("html",)).get_content()
    text = html_to_text(html)
    assert "Freundliche Grüsse\nBeat Müller\nTreuhand Müller GmbH\n\nVon:" in text
    assert "Von: Q3 Support <support@q3software.ch>\nGesendet: Montag" in text
    assert text == parse("outlook_reply.eml").text


def test_apple_mail_reply_quoted_printable_with_quote_header():
    parsed = parse("apple_mail_reply.eml")
    assert parsed.message_id == "<8F2C1D4E-5A6B-4C7D-9E8F-0A1B2C3D4E5F@keller-elektro.ch>"
    assert parsed.in_reply_to == ["<case-23-1.20261130130512@q3software.ch>"]
    assert parsed.case_references == [23]
    assert parsed.from_address == "sandra.keller@keller-elektro.ch"
    # Soft line breaks joined, typographic quotes decoded.
    assert (
        "Leider erscheint die Meldung „Konto 1020 gesperrt“ immer noch, wenn ich den "
        "Zahlungsimport starte." in parsed.text
    )
    assert "> Am 30.11.2026 um 14:05 schrieb Q3 Support <support@q3software.ch>:" in parsed.text
    assert parsed.html == ""


def test_html_only_message_is_sanitised_and_read_as_text():
    parsed = parse("html_only_script.eml")
    assert parsed.subject == "Clôture annuelle impossible"
    assert active_html(parsed.html) == []
    assert "<script" not in parsed.html and "onclick" not in parsed.html
    assert "document.cookie" not in parsed.html and "background" not in parsed.html
    assert "tracker.example.net" not in parsed.html and "javascript:" not in parsed.html
    assert "La clôture annuelle ne démarre pas" in parsed.html
    assert 'href="tel:+41215550101"' in parsed.html
    assert "La clôture annuelle ne démarre pas : le programme s'arrête" in parsed.text
    assert "- Version : Q3 Profi 2026.2\n- Poste : serveur du bureau" in parsed.text
    assert "Meilleures salutations\nJean-Marc Rochat\nMenuiserie Rochat SA" in parsed.text
    assert "document" not in parsed.text and "Clôture\n" not in parsed.text  # no <title>


@pytest.mark.parametrize(
    "hostile",
    [
        '<img src="x" onerror="alert(1)">',
        "<svg onload=alert(1)><circle r=1></svg>",
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
        '<iframe src="https://evil.example.net"></iframe>',
        '<table background="https://tracker.example.net/t.gif"><tr><td>x</td></tr></table>',
        '<div style="background:url(https://tracker.example.net/t.gif)">x</div>',
        '<meta http-equiv="refresh" content="0;url=https://evil.example.net">',
        '<base href="https://evil.example.net/"><a href="x">x</a>',
        '<form action="https://evil.example.net"><input name="p"></form>',
        '<link rel="stylesheet" href="https://tracker.example.net/s.css">',
        "<scr<script>ipt>alert(1)</script>",
    ],
)
def test_hostile_html_is_defused(hostile):
    data = message("Content-Type: text/html; charset=utf-8", body=f"<p>Hallo</p>{hostile}")
    parsed = parse_message(data)
    assert active_html(parsed.html) == []
    assert "evil.example.net" not in parsed.html and "tracker" not in parsed.html
    assert parsed.text.startswith("Hallo")


def test_attachments_keep_their_names_types_and_bytes():
    parsed = parse("attachments_pdf_png.eml")
    assert [(a.filename, a.content_type, a.size) for a in parsed.attachments] == [
        ("Lohnabrechnung November.pdf", "application/pdf", 142),
        ("Lohnart 5010 März.png", "image/png", 73),  # RFC 2231 name, umlaut decoded
    ]
    assert parsed.attachments[0].data.startswith(b"%PDF-1.4")
    assert parsed.attachments[1].data.startswith(b"\x89PNG\r\n\x1a\n")
    # format=flowed: the soft break after "aufgeführt. " is joined.
    assert "doppelt aufgeführt. Im Anhang die Abrechnung" in parsed.text
    assert "%PDF" not in parsed.text
    assert parsed.cc == ["buchhaltung@brunner-bau.ch"]


def test_encoded_word_subject_and_latin1_body():
    parsed = parse("encoded_subject_latin1.eml")
    assert parsed.subject == "Lohnabrechnung für März läuft nicht durch"
    assert parsed.from_name == "Jürg Müller"
    assert parsed.from_address == "juerg.mueller@baeckerei-mueller.ch"
    assert "Die Lohnabrechnung für März läuft nicht durch" in parsed.text
    assert "«Tarif ungültig»" in parsed.text
    assert "\ufffd" not in parsed.text


def test_forwarded_message_text_follows_a_separator_and_its_attachment_is_kept():
    parsed = parse("forwarded_message.eml")
    own, _, forwarded = parsed.text.partition(FORWARDED)
    assert "Koennen Sie ihm direkt antworten?" in own
    assert "From: Peter Brunner <peter.brunner@treuhand-brunner.ch>" in forwarded
    assert "Subject: Rechnung 2026-311: MWST doppelt" in forwarded
    assert "wird die Mehrwertsteuer zweimal ausgewiesen" in forwarded
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("buchungen.csv", "text/csv")
    ]
    assert parsed.attachments[0].data.startswith(b"Datum;Konto;Betrag")
    # The forwarded message's ids do not make it a reply.
    assert parsed.in_reply_to == [] and parsed.references == []


def test_bounce_is_automatic_and_names_the_failed_recipient_and_our_message():
    parsed = parse("bounce_delivery_status.eml")
    assert parsed.bounce and parsed.automatic
    assert parsed.from_address == "mailer-daemon@mail.q3software.ch"
    assert parsed.bounced_recipients == ["hans.muster@exemple-sa.ch"]
    assert parsed.bounced_message_id == "<case-31-1.20261130130600@q3software.ch>"
    assert "Recipient address rejected: User unknown" in parsed.text
    assert "Reporting-MTA" not in parsed.text
    assert parsed.case_references == []  # the returned subject's [C-31] is not ours to thread


def test_out_of_office_reply_is_automatic_but_no_bounce():
    parsed = parse("auto_reply_out_of_office.eml")
    assert parsed.automatic and not parsed.bounce
    assert parsed.subject == "Abwesenheitsnotiz: [C-17] Fehlermeldung beim MWST-Abschluss"
    assert parsed.case_references == [17]
    assert parsed.in_reply_to == ["<case-17-3.20261130130530@q3software.ch>"]
    assert "abwesend" in parsed.text and "In dringenden Fällen" in parsed.text


def test_mailing_list_message_is_automatic():
    parsed = parse("mailing_list.eml")
    assert parsed.automatic and not parsed.bounce
    assert parsed.from_address == "c.favre@fiduciaire-favre.ch"
    assert "taux AVS 2027" in parsed.text


def test_message_without_message_id_gets_a_stable_synthetic_one():
    data = raw("no_message_id.eml")
    parsed = parse_message(data)
    assert parsed.message_id == f"<{hashlib.sha256(data).hexdigest()}@q3helpdesk.invalid>"
    assert parse_message(data).message_id == parsed.message_id
    assert parse_message(data + b"\n").message_id != parsed.message_id
    assert parsed.subject == "Lizenzcode nach Serverwechsel"
    assert "Bitte rufen Sie uns zurück: 044 555 12 34." in parsed.text


def test_garbage_bytes_are_unreadable():
    with pytest.raises(UnreadableMessage):
        parse("garbage.eml")


@pytest.mark.parametrize(
    "data",
    [b"", b"   \r\n\r\n", b"\x00" * 100, b"Hallo, nur Text ohne Kopfzeilen\n", "text", None],
)
def test_no_headers_no_message(data):
    with pytest.raises(UnreadableMessage):
        parse_message(data)


def test_headers_with_a_missing_body_still_read():
    parsed = parse("broken_body.eml")
    assert parsed.subject == "Fehler beim Start"
    assert parsed.from_address == "m.gerber@gerber-transporte.ch"
    assert parsed.message_id == "<CAF3x9Y2b-kP0qQ7_truncated@mail.gmail.example>"
    assert (parsed.text, parsed.html, parsed.attachments) == ("", "", [])


def test_reply_with_german_prefix_carries_its_case_reference():
    parsed = parse("aw_case_reference.eml")
    assert parsed.case_references == [42]
    assert reply_subject(parsed.subject, "C-42") == "Re: [C-42] Lohnlauf"
    assert "bricht bei Mitarbeiter 117 wieder mit Fehler 4711 ab. Die Korrektur" in parsed.text
    assert "-----Ursprüngliche Nachricht-----" in parsed.text


# --- headers that decide what the desk does --------------------------------------------------


@pytest.mark.parametrize(
    ("header", "automatic"),
    [
        ("Auto-Submitted: auto-generated", True),
        ("Auto-Submitted: auto-replied; owner-email=x@example.ch", True),
        ("Auto-Submitted: no", False),
        ("Precedence: bulk", True),
        ("Precedence: junk", True),
        ("Precedence: first-class", False),
        ("List-Unsubscribe: <mailto:leave@lists.example.ch>", True),
        ("X-Autoreply: yes", True),
        ("X-Autorespond: Abwesend", True),
        ("Return-Path: <>", True),
        ("From: MAILER-DAEMON@mx.example.ch", True),
        ("From: postmaster@example.ch", True),
        ("From: Shop <noreply@shop.example.ch>", True),
        ("From: Rechnungen <no-reply@example.ch>", True),
        ("From: do_not_reply@bank.example.ch", True),
        ("From: Nora Eply <nora.eply@example.ch>", False),
        ("Content-Type: multipart/report; report-type=disposition-notification", True),
    ],
)
def test_automatic_mail(header, automatic):
    assert parse_message(message(header)).automatic is automatic


def test_plain_text_bounce_from_the_mailer_daemon():
    parsed = parse_message(
        message(
            "From: MAILER-DAEMON@mx.example.ch",
            "Subject: Unzustellbar: [C-5] Ihre Anfrage",
            body="Die Nachricht konnte nicht zugestellt werden.\n",
        )
    )
    assert parsed.bounce and parsed.automatic


@pytest.mark.parametrize(
    ("headers", "in_reply_to", "references"),
    [
        (["In-Reply-To: <a@x.ch> (Hans Muster's message of Mon)"], ["<a@x.ch>"], []),
        (["In-Reply-To: a@x.ch"], ["<a@x.ch>"], []),  # brackets forgotten
        (
            ["References: <a@x.ch>\n <b@x.ch>\t<a@x.ch> junk <c@x.ch>"],
            [],
            ["<a@x.ch>", "<b@x.ch>", "<c@x.ch>"],
        ),
        (["References: <own@example.ch>"], [], []),  # names itself: no thread
        (["In-Reply-To: <h\u00e4ns@x.ch>"], [], []),  # not ASCII: no id
        ([f"In-Reply-To: <{'x' * 300}@x.ch>"], [], []),  # too long for the column
    ],
)
def test_thread_headers(headers, in_reply_to, references):
    parsed = parse_message(message("Message-ID: <own@example.ch>", *headers))
    assert (parsed.in_reply_to, parsed.references) == (in_reply_to, references)


def test_long_references_keep_the_root_and_the_latest():
    ids = [f"<m{i}@x.ch>" for i in range(150)]
    parsed = parse_message(message("References: " + "\n ".join(ids)))
    assert len(parsed.references) == 100
    assert parsed.references[0] == "<m0@x.ch>" and parsed.references[-1] == "<m149@x.ch>"


@pytest.mark.parametrize(
    ("header", "address", "name"),
    [
        ("From: =?utf-8?q?Z=C3=BCrcher_Ren=C3=A9?= <Rene@X.CH>", "rene@x.ch", "Zürcher René"),
        ('From: "Muster, Hans" <hans@example.ch>', "hans@example.ch", "Muster, Hans"),
        ("From: hans@example.ch (Hans Muster)", "hans@example.ch", "Hans Muster"),
        ("From: Hans Muster hans@example.ch", "hans@example.ch", ""),  # common, invalid
        ("From: undisclosed-recipients:;", "", ""),
        ("From: <>", "", ""),
        ("From: Hans\x01 Muster <hans@exa\x02mple.ch>", "", ""),
    ],
)
def test_sender(header, address, name):
    parsed = parse_message(message(header))
    assert parsed.from_address == address
    if address:
        assert parsed.from_name == name


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Date: Mon, 30 Nov 2026 13:05:00 +0000", datetime(2026, 11, 30, 14, 5, tzinfo=ZURICH)),
        ("Date: Mon, 30 Nov 2026 13:05:00 -0000", datetime(2026, 11, 30, 13, 5, tzinfo=UTC)),
        ("Date: 30 Nov 2026 14:05 MET", datetime(2026, 11, 30, 14, 5, tzinfo=UTC)),
        ("Date: gestern", None),
        ("Date: Mon, 30 Feb 2026 25:61:00 +0100", None),
    ],
)
def test_date_is_aware_or_none(header, expected):
    parsed = parse_message(message(header))
    assert parsed.date == expected
    assert parsed.date is None or parsed.date.tzinfo is not None


def test_subject_is_folded_and_freed_of_control_characters():
    parsed = parse_message(message("Subject: Lohn\x07lauf\n  =?utf-8?q?M=C3=A4rz?=\t\x1b[31m rot"))
    assert parsed.subject == "Lohnlauf März [31m rot"


# --- bodies that lie about themselves ---------------------------------------------------------


@pytest.mark.parametrize(
    ("charset", "body", "expected"),
    [
        ("utf-8", "Grüsse".encode("cp1252"), "Grüsse"),  # says UTF-8, is Windows-1252
        ("x-unknown", "Grüsse".encode(), "Grüsse"),  # unknown charset
        ("us-ascii", "Grüsse".encode(), "Grüsse"),  # says ASCII, is UTF-8
        ("base64", b"R3J1ZXNzZQ==", "R3J1ZXNzZQ=="),  # not a text encoding at all
        ("iso-8859-1", "Grüsse – ok".encode("cp1252"), "Grüsse – ok"),
    ],
)
def test_broken_charsets_fall_back(charset, body, expected):
    data = message(body="") + body
    data = data.replace(b"charset=utf-8", f"charset={charset}".encode())
    assert expected in parse_message(data).text


def test_broken_base64_and_quoted_printable_do_not_stop_reading():
    for encoding, body in (("base64", "R3V0ZW4gVGFn!!!%%%"), ("quoted-printable", "Gr=FCsse=ZZ=")):
        parsed = parse_message(message(f"Content-Transfer-Encoding: {encoding}", body=body))
        assert parsed.subject == "Frage"


MULTIPART = "Content-Type: multipart/mixed; boundary=b"


def part(headers: str, body: str) -> str:
    return f"--b\n{headers}\n\n{body}\n"


def test_attachment_names_are_made_safe():
    body = (
        part("Content-Type: text/plain", "Siehe Anhang")
        + part(
            'Content-Type: application/octet-stream; name="../../etc/passwd"\n'
            "Content-Disposition: attachment",
            "x",
        )
        + part(
            "Content-Type: application/pdf\n"
            'Content-Disposition: attachment; filename="C:\\\\tmp\\\\Offerte.pdf"',
            "x",
        )
        + part('Content-Type: application/pdf; name="=?utf-8?B?UsO8Y2tydWYucGRm?="', "x")
        + part("Content-Type: image/png\nContent-Disposition: attachment", "x")
        + part(
            "Content-Type: text/plain\n"
            'Content-Disposition: attachment; filename="\x01a\u202etxt.exe"',
            "x",
        )
        + "--b--\n"
    )
    parsed = parse_message(message(MULTIPART, body=body))
    assert [a.filename for a in parsed.attachments] == [
        "passwd",
        "Offerte.pdf",
        "Rückruf.pdf",
        "attachment.png",
        "atxt.exe",
    ]
    assert parsed.text == "Siehe Anhang"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Lohnabrechnung.pdf", "Lohnabrechnung.pdf"),
        ("..", "attachment"),
        ("con.txt", "_con.txt"),
        ('a<b>:c"d|e?f*g.txt', "a_b__c_d_e_f_g.txt"),
        ("x" * 300 + ".pdf", "x" * 96 + ".pdf"),
        ("Ma\u0308rz.pdf", "März.pdf"),  # macOS sends decomposed umlauts
    ],
)
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


def test_inline_image_is_an_attachment_with_its_content_id():
    body = (
        "--b\nContent-Type: multipart/related; boundary=r\n\n"
        '--r\nContent-Type: text/html\n\n<p>Logo: <img src="cid:logo@x"></p>\n'
        "--r\nContent-Type: image/png\nContent-ID: <logo@x>\nContent-Transfer-Encoding: base64\n\n"
        "iVBORw0KGgo=\n--r--\n--b--\n"
    )
    parsed = parse_message(message(MULTIPART, body=body))
    (logo,) = parsed.attachments
    assert (logo.content_id, logo.inline, logo.filename) == ("logo@x", True, "attachment.png")
    assert "<img" not in parsed.html and parsed.text == "Logo:"


def test_a_forward_inside_a_forward_stays_an_attachment():
    inner = "From: c@x.ch\nSubject: innen\n\nganz innen\n"
    middle = (
        "From: b@x.ch\nSubject: mitte\nContent-Type: multipart/mixed; boundary=m\n\n"
        "--m\nContent-Type: text/plain\n\nin der Mitte\n"
        f"--m\nContent-Type: message/rfc822\n\n{inner}--m--\n"
    )
    body = part("Content-Type: text/plain", "aussen") + part("Content-Type: message/rfc822", middle)
    parsed = parse_message(message(MULTIPART, body=body + "--b--\n"))
    assert parsed.text.count(FORWARDED) == 1
    assert "in der Mitte" in parsed.text and "ganz innen" not in parsed.text
    (eml,) = parsed.attachments
    assert eml.content_type == "message/rfc822" and b"ganz innen" in eml.data


def test_parts_beyond_the_limit_are_left_in_the_raw_message():
    body = "".join(part("Content-Type: text/plain", f"Teil {i}") for i in range(MAX_PARTS + 50))
    parsed = parse_message(message(MULTIPART, body=body + "--b--\n"))
    assert parsed.truncated
    assert f"Teil {MAX_PARTS - 2}" in parsed.text and f"Teil {MAX_PARTS}" not in parsed.text


def test_deep_nesting_is_no_bomb():
    depth = 60
    opening = "".join(
        f"--n{i}\nContent-Type: multipart/mixed; boundary=n{i + 1}\n\n" for i in range(depth)
    )
    closing = "".join(f"--n{i}--\n" for i in reversed(range(depth + 1)))
    body = opening + f"--n{depth}\nContent-Type: text/plain\n\ntief\n" + closing
    parsed = parse_message(message("Content-Type: multipart/mixed; boundary=n0", body=body))
    assert parsed.truncated and parsed.text == ""


def test_multipart_alternative_prefers_plain_text_and_keeps_the_html():
    body = (
        "--a\nContent-Type: text/plain\n\nDer Text\n"
        "--a\nContent-Type: text/html\n\n<p>Das <b>HTML</b></p>\n--a--\n"
    )
    parsed = parse_message(message("Content-Type: multipart/alternative; boundary=a", body=body))
    assert parsed.text == "Der Text"
    assert parsed.html == "<p>Das <b>HTML</b></p>"


# --- replying -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "reference", "expected"),
    [
        ("Lohnlauf", "C-12", "Re: [C-12] Lohnlauf"),
        ("[C-12] Lohnlauf", "C-12", "Re: [C-12] Lohnlauf"),
        ("AW: [C-42] Lohnlauf", "C-42", "Re: [C-42] Lohnlauf"),
        ("AW: AW: RE: [C-42] Lohnlauf", "C-42", "Re: [C-42] Lohnlauf"),
        ("RE : TR : Clôture", "C-7", "Re: [C-7] Clôture"),  # French Outlook
        ("Re[2]: Fwd: WG: Lohnlauf", "C-7", "Re: [C-7] Lohnlauf"),
        ("[C-7] AW: [C-7] Lohnlauf", "C-7", "Re: [C-7] Lohnlauf"),
        ("Lohnlauf [c-7] Dezember", "[C-7]", "Re: [C-7] Lohnlauf Dezember"),
        ("AW: [C-5] Lohnlauf", "C-7", "Re: [C-7] [C-5] Lohnlauf"),  # another case's tag stays
        ("Rechnung: doppelt", "C-7", "Re: [C-7] Rechnung: doppelt"),
        ("Aw:", "C-7", "Re: [C-7]"),
        ("", "C-7", "Re: [C-7]"),
        ("AW: Frage", "", "Re: Frage"),
    ],
)
def test_reply_subject(subject, reference, expected):
    assert reply_subject(subject, reference) == expected


@pytest.mark.parametrize(
    ("subject", "numbers"),
    [
        ("AW: [C-42] Lohnlauf", [42]),
        ("[C-7] und [c-12] und [C-7]", [7, 12]),
        ("C-42 ohne Klammern", []),
        ("[C-0] [C-] [C-x1] [ C-9 ]", [9]),
        ("[C-12345678901234567890]", []),
        ("", []),
    ],
)
def test_case_reference_in(subject, numbers):
    assert case_reference_in(subject) == numbers


@pytest.mark.parametrize(
    ("author", "sent", "header"),
    [
        (
            "Anna Muster",
            datetime(2026, 11, 30, 13, 5, tzinfo=UTC),
            "On 30.11.2026 14:05, Anna Muster wrote:",
        ),
        (
            "Anna Muster",
            datetime(2026, 7, 1, 6, 0, tzinfo=UTC),  # summer time
            "On 01.07.2026 08:00, Anna Muster wrote:",
        ),
        ("Anna Muster", None, "Anna Muster wrote:"),
        (
            "",
            datetime(2026, 11, 30, 14, 5, tzinfo=ZURICH),
            "On 30.11.2026 14:05, the sender wrote:",
        ),
        ("", None, "The sender wrote:"),
    ],
)
def test_quote_text_header(author, sent, header):
    assert quote_text("Hallo", author=author, sent=sent) == f"{header}\n> Hallo"


def test_quote_text_quotes_every_line():
    text = "Guten Tag\r\n\r\n> alte Antwort\nGruss  \n\n\n"
    assert quote_text(text, author="Hans", sent=None) == (
        "Hans wrote:\n> Guten Tag\n>\n>> alte Antwort\n> Gruss"
    )


# --- nothing but a value or UnreadableMessage ----------------------------------------------------

CORPUS_FILES = sorted(p.name for p in CORPUS.glob("*.eml"))


@st.composite
def mutated_corpus(draw) -> bytes:
    data = bytearray(raw(draw(st.sampled_from(CORPUS_FILES))))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        match draw(st.sampled_from(["cut", "insert", "flip", "repeat", "truncate"])):
            case "cut":
                del data[at : at + draw(st.integers(1, 200))]
            case "insert":
                data[at:at] = draw(
                    st.one_of(
                        st.binary(max_size=40),
                        st.sampled_from(
                            [
                                b"\n",
                                b"\r\n\r\n",
                                b"=?utf-8?q?",
                                b"=?x?b?",
                                b"--",
                                b":",
                                b"<",
                                b"\x00",
                                b"\xff\xfe",
                                b"boundary=",
                                b"Content-Type: multipart/mixed; boundary=",
                                b"charset=",
                                b"\xc3",
                                b"=\n",
                                b"base64",
                            ]
                        ),
                    )
                )
            case "flip":
                if data:
                    data[min(at, len(data) - 1)] = draw(st.integers(0, 255))
            case "repeat":
                data[at:at] = data[at : at + draw(st.integers(1, 400))]
            case "truncate":
                del data[at:]
    return bytes(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=3000), mutated_corpus()))
def test_any_bytes_give_a_message_or_unreadable(data):
    handler = _Errors()
    logging.getLogger("cases.mail_parse").addHandler(handler)
    try:
        try:
            parsed = parse_message(data)
        except UnreadableMessage:
            return
    finally:
        logging.getLogger("cases.mail_parse").removeHandler(handler)
    # Read field by field, not by the safety net around them.
    assert handler.records == []
    assert re.fullmatch(r"<[!-;=?-~]+>", parsed.message_id) and len(parsed.message_id) <= 255
    assert all(re.fullmatch(r"<[!-;=?-~]+>", i) for i in parsed.in_reply_to + parsed.references)
    assert parsed.date is None or parsed.date.tzinfo is not None
    for text in (parsed.subject, parsed.from_name, parsed.from_address, parsed.text, parsed.html):
        text.encode("utf-8")  # no lone surrogates: storable
        assert "\x00" not in text
    assert "\n" not in parsed.subject
    assert active_html(parsed.html) == []
    for attachment in parsed.attachments:
        assert attachment.filename and not re.search(r"[/\\\x00-\x1f]", attachment.filename)
        assert isinstance(attachment.data, bytes)


class _Errors(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records = []

    def emit(self, record):
        self.records.append(record)
