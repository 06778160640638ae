"""A NUL byte in a request is refused with a translated page before any view runs."""

import pytest

from cases.models import CaseNote
from q3helpdesk.roles import Role
from tests.factories import rental_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client, user_with_role):
    client.force_login(user_with_role(Role.INFOLINE))
    return client


@pytest.mark.parametrize("query", ["q=M%00ller", "phone=%00", "q%00=x"])
def test_a_nul_byte_in_the_lookup_is_a_clear_400(desk, query):
    response = desk.get(f"/lookup/?{query}")
    assert response.status_code == 400
    assert "caractères qui ne peuvent pas être enregistrés" in response.content.decode()


def test_a_nul_byte_in_a_posted_note_changes_nothing(desk):
    from cases.services import case_create

    case = case_create(customer=rental_customer(), channel="phone", subject="Lohnlauf")
    response = desk.post(f"/cases/{case.pk}/notes/", {"text": "a\x00b"}, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 400
    assert "Nichts wurde geändert" in response.content.decode()
    assert not CaseNote.objects.exists()
    # The same note without the byte is saved: the guard refuses only what it must.
    assert desk.post(f"/cases/{case.pk}/notes/", {"text": "ab"}).status_code == 302
    assert CaseNote.objects.get().text == "ab"
