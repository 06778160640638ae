import pytest

from cases.selectors import lookup, normalise_phone
from customers.services import contact_create, customer_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "written",
    [
        "031 511 49 49",
        "+41 31 511 49 49",
        "0041315114949",
        "0315114949",
        "+41 (0)31 511 49 49",
        "031/511.49.49",
    ],
)
def test_phone_in_any_swiss_writing(written):
    assert normalise_phone(written) == "+41315114949"


@pytest.mark.parametrize("text", ["", "12", "abc", "031 511", "+41 31 511 49 49 99 99", "10001"])
def test_not_a_phone_number(text):
    assert normalise_phone(text) is None


@pytest.fixture
def desk():
    favre = customer_create(
        name="Boulangerie Favre SA",
        number="10001",
        phone="021 312 45 67",
        email="info@favre.example",
    )
    contact_create(
        customer=favre, name="Sophie Favre", phone="079 412 36 58", email="sophie@favre.example"
    )
    muller = customer_create(name="Schreinerei Müller AG", number="10002", phone="031 381 22 10")
    contact_create(customer=muller, name="Hans Müller", phone="079 412 36 58")  # shared mobile
    customer_create(name="Garage Müller SA", number="10003")
    return favre, muller


@pytest.mark.parametrize("q", ["021 312 45 67", "+41 21 312 45 67", "0041213124567"])
def test_one_match_by_customer_phone(desk, q):
    result = lookup(q=q)
    assert (result.kind, result.single) == ("phone", desk[0])


def test_contact_phone_finds_every_customer_it_belongs_to(desk):
    result = lookup(q="079 412 36 58")
    assert result.kind == "phone" and result.single is None
    assert [c.number for c in result.customers] == ["10001", "10002"]


def test_email_customer_or_contact_case_insensitive(desk):
    assert lookup(q="INFO@favre.example").single == desk[0]
    assert lookup(q="sophie@FAVRE.example").single == desk[0]


def test_customer_number(desk):
    assert lookup(q="10002").single == desk[1]


@pytest.mark.parametrize("q", ["muller", "MÜLLER", "Muller"])
def test_name_accent_and_case_insensitive_many_matches(desk, q):
    assert [c.number for c in lookup(q=q).customers] == ["10003", "10002"]  # by name


def test_contact_name_finds_the_customer(desk):
    assert lookup(q="sophie").single == desk[0]


def test_no_match(desk):
    result = lookup(q="079 999 99 99")
    assert result.kind == "phone" and result.customers == []
    assert lookup(q="nobody").customers == []
    assert lookup(q="   ").customers == []


def test_lookup_query_count_does_not_grow(desk, django_assert_max_num_queries):
    for n in range(30):
        customer_create(name=f"Müller {n}")
    with django_assert_max_num_queries(8):  # customers, contacts, typos: a fixed few
        assert len(lookup(q="müller").customers) == 32


def test_more_matches_than_shown_are_announced(client, user_with_role):
    from customers.selectors import LOOKUP_MAX as MAX_MATCHES
    from q3helpdesk.roles import Role

    for n in range(MAX_MATCHES + 1):
        customer_create(name=f"Garage Rochat {n}")
    result = lookup(q="rochat")
    assert len(result.customers) == MAX_MATCHES and result.more
    assert not lookup(q="Garage Rochat 7").more
    client.force_login(user_with_role(Role.INFOLINE))
    assert 'data-testid="lookup-more"' in client.get("/lookup/", {"q": "rochat"}).content.decode()
