"""The company (creditor) data of the invoices, edited in the admin."""

import pytest
from django.core.exceptions import ValidationError

from billing.models import Company
from billing.selectors import company
from q3helpdesk.demo import seeding
from q3helpdesk.roles import Role

pytestmark = pytest.mark.django_db

VALID = {
    "legal_name": "Q3 Software SA",
    "street": "Bahnhofplatz",
    "house_number": "1",
    "postcode": "3011",
    "city": "Bern",
    "country": "CH",
    "uid": "CHE123456788",
    "iban": "ch4431999123000889012",
    "email": "billing@q3software.example",
    "payment_term_days": 30,
}


def test_valid_company_is_stored_in_standard_writing():
    entry = Company(**VALID)
    entry.full_clean()
    entry.save()
    assert (entry.uid, entry.vat_number) == ("CHE-123.456.788", "CHE-123.456.788 MWST")
    assert entry.iban == "CH44 3199 9123 0008 8901 2"
    assert entry.is_qr_iban
    assert company() == entry


def test_an_ordinary_iban_is_not_a_qr_iban():
    entry = Company(**{**VALID, "iban": "CH93 0076 2011 6238 5295 7"})
    entry.full_clean()
    assert not entry.is_qr_iban


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("uid", "CHE-123.456.789", "valid Swiss UID"),
        ("uid", "123", "valid Swiss UID"),
        ("iban", "CH93 0076 2011 6238 5295 8", "valid IBAN"),
        ("iban", "DE89 3704 0044 0532 0130 00", "Switzerland or Liechtenstein"),
        ("postcode", "30111", "four digits"),
        ("payment_term_days", 0, "greater than or equal to 1"),
        ("payment_term_days", 365, "less than or equal to 120"),
        ("country", "DE", "not a valid choice"),
    ],
)
def test_bad_company_data_is_refused(field, value, message):
    entry = Company(**{**VALID, field: value})
    with pytest.raises(ValidationError, match=message):
        entry.full_clean()


def test_missing_company_data_is_a_clear_error():
    with pytest.raises(ValidationError, match="company data"):
        company()


def test_only_one_company_and_it_cannot_be_deleted_in_the_admin(client, admin_user):
    seeding.seed_company()
    entry = Company.objects.get()
    client.force_login(admin_user)
    assert client.get(f"/admin/billing/company/{entry.pk}/change/").status_code == 200
    assert client.get("/admin/billing/company/add/").status_code == 403
    assert client.get(f"/admin/billing/company/{entry.pk}/delete/").status_code == 403
    data = {**VALID, "legal_name": "Q3 Software AG", "footer": "", "phone": ""}
    response = client.post(f"/admin/billing/company/{entry.pk}/change/", data)
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.legal_name == "Q3 Software AG" and entry.history.count() == 2


def test_company_admin_is_refused_to_the_roles(client, user_with_role):
    seeding.seed_company()
    client.force_login(user_with_role(Role.BILLING))
    assert client.get("/admin/billing/company/").status_code == 302


def test_demo_company_is_fictional_and_valid():
    entry = seeding.seed_company()
    assert seeding.seed_company() == entry  # idempotent
    entry.full_clean()
    assert "démo" in entry.legal_name and entry.email.endswith(".example")
