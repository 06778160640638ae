"""The caller lookup finds what Swiss callers say and type (issue 14, item 1): inputs →
the customer expected."""

import pytest
from django.db import connection

from customers.models import Customer, fold_key
from customers.selectors import customer_lookup, one_edit_apart, phone_part
from customers.services import contact_create, customer_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    """A few customers as the desk has them, with their contacts."""
    rows = {}
    for number, name, phone, email in [
        ("10001", "Treuhand Bärtschi AG", "031 511 49 49", "info@baertschi.ch"),
        ("10002", "Bürgi Elektro GmbH", "031 381 22 10", ""),
        ("10003", "Zünd Gartenbau", "", ""),
        ("10004", "Lüthi & Söhne", "", ""),
        ("10005", "Schreinerei Keller", "", ""),
        ("10006", "Mueller Transporte AG", "", ""),
        ("10007", "Strassenbau Weiss", "", ""),
        ("10008", "Fiduciaire Favre SA", "021 312 45 67", "contact@favre.example"),
        ("10009", "Kellerhals Getränke", "", ""),
        ("10010", "Grossmann Informatik", "", ""),
        ("10011", "Boulangerie Rochat", "", ""),
    ]:
        rows[number] = customer_create(number=number, name=name, phone=phone, email=email)
    meier = customer_create(number="10012", name="Meier Treuhand GmbH", email="info@meier.example")
    contact_create(
        customer=meier,
        name="Ruth Meier",
        email="ruth.meier@meier-treuhand.ch",
        phone="079 412 36 58",
    )
    contact_create(customer=rows["10002"], name="Hans Grüter", phone="+41 78 900 12 34")
    customer_create(number="10013", name="Straße & Platz GmbH")
    return rows


LOOKUPS = [
    # German spellings without umlauts, and the other way round
    ("Baertschi", "10001"),
    ("Buergi", "10002"),
    ("Zuend", "10003"),
    ("Luethi", "10004"),
    ("Müller", "10006"),
    ("mueller transporte", "10006"),
    ("Mäller Transporte", "10006"),  # one letter off: a typo
    ("Maler Transporte", None),  # two letters off
    ("BÄRTSCHI", "10001"),
    ("Bartschi", "10001"),
    ("Zünd", "10003"),
    ("Straße Weiß", "10007"),
    ("strasse platz", "10013"),
    ("Grüter", "10002"),
    ("grueter", "10002"),
    # word order does not matter
    ("Keller Schreinerei", "10005"),
    ("Rochat boulangerie", "10011"),
    ("Meier Ruth", "10012"),
    # part of a phone number: customer, contact, mobile
    ("511 49 49", "10001"),
    ("381 22 10", "10002"),
    ("031 381 22", "10002"),
    ("078 900 12", "10002"),
    ("412 36 58", "10012"),
    ("+41 79 412", "10012"),
    # whole numbers, e-mail addresses and domains
    ("031 511 49 49", "10001"),
    ("+41 21 312 45 67", "10008"),
    ("10009", "10009"),
    ("meier-treuhand.ch", "10012"),
    ("@meier-treuhand.ch", "10012"),
    ("RUTH.MEIER@meier-treuhand.ch", "10012"),
    ("baertschi.ch", "10001"),
    ("contact@favre", "10008"),
    # one-letter typos in words of five letters or more
    ("Bärtchi", "10001"),
    ("Zuned", "10003"),
    ("Schreinerie Keller", "10005"),
    ("Grosmann", "10010"),
    ("Rochta", "10011"),
    ("Kelerhals", "10009"),
    ("Favrr", "10008"),
    # no typo tolerance in short words, and nothing for two typos
    ("Zund", "10003"),
    ("Kelr", None),
    ("Grssmnn", None),
]


@pytest.mark.parametrize(("q", "expected"), LOOKUPS)
def test_lookup_finds_the_customer(desk, q, expected):
    result = customer_lookup(q=q)
    if expected is None:
        assert result.customers == [], [c.name for c in result.customers]
    else:
        assert result.customers and result.customers[0].number == expected, [
            (c.number, c.name) for c in result.customers
        ]


def test_exact_matches_rank_before_typos(desk):
    customer_create(number="10020", name="Menuiserie Favrr")
    result = customer_lookup(q="Favre")
    assert [h.customer.number for h in result.hits] == ["10008", "10020"]
    assert [h.typo for h in result.hits] == [False, True]


def test_whole_words_rank_before_parts_of_words(desk):
    assert [c.number for c in customer_lookup(q="keller").customers] == ["10005", "10009"]


def test_found_through_a_contact_names_the_contact(desk):
    hit = customer_lookup(q="079 412 36 58").single_hit
    assert hit.customer.number == "10012" and hit.contact.name == "Ruth Meier"
    assert customer_lookup(q="Meier Treuhand").single_hit.contact is None
    assert customer_lookup(q="ruth.meier@meier-treuhand.ch").single_hit.contact.name == (
        "Ruth Meier"
    )


def test_keys_are_kept_on_rename(desk):
    customer = desk["10003"]
    customer.name = "Gärtnerei Zünd"
    customer.save(update_fields=["name"])
    assert Customer.objects.get(pk=customer.pk).fold_key == "gartnerei zund"
    assert customer_lookup(q="Gaertnerei").single == customer


@pytest.mark.parametrize(
    ("typed", "word", "close"),
    [
        ("keller", "keller", True),
        ("keler", "keller", True),
        ("kelller", "keller", True),
        ("kelker", "keller", True),
        ("kelelr", "keller", True),
        ("kleler", "keller", True),
        ("klelre", "keller", False),
        ("kel", "keller", False),
    ],
)
def test_one_edit_apart(typed, word, close):
    assert one_edit_apart(typed, word) is close


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("511 49 49", "5114949"),
        ("031 511", "4131511"),
        ("+41 79 412", "4179412"),
        ("0041 31 5", "41315"),
        ("abc", None),
        ("12 34", None),
    ],
)
def test_phone_part(text, digits):
    assert phone_part(text) == digits


def test_fold_key():
    assert {fold_key(n) for n in ("Müller", "Mueller", "MULLER", "Müller")} == {"muller"}
    assert fold_key("Straße") == fold_key("Strasse") == "strasse"


def test_query_count_does_not_grow(desk, django_assert_max_num_queries):
    for n in range(30):
        customer_create(name=f"Müller {n}")
    # Two queries for the exact matches, two for the typos (PostgreSQL: one more to set
    # the similarity threshold, and the test's savepoint around it).
    budget = 8 if connection.vendor == "postgresql" else 4
    with django_assert_max_num_queries(budget):
        assert len(customer_lookup(q="müller").customers) == 31
    with django_assert_max_num_queries(budget):
        assert len(customer_lookup(q="Mülller").customers) == 31


@pytest.mark.postgresql
def test_trigram_indexes_exist_on_postgresql(desk):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname LIKE %s ORDER BY indexname",
            ["%_trgm"],
        )
        names = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone()
    assert "customer_fold_key_trgm" in names and "contact_phone_trgm" in names


@pytest.mark.postgresql
@pytest.mark.parametrize(("q", "expected"), [row for row in LOOKUPS if row[0][0] in "BZSGRKF"])
def test_typos_through_pg_trgm(desk, q, expected):
    """The same table on PostgreSQL, where pg_trgm finds the candidates."""
    result = customer_lookup(q=q)
    assert (result.customers[0].number if result.customers else None) == expected
