"""Demo data stays demo: seed_demo refuses a database with real customers, and the demo
password never logs anyone in when DEBUG is off."""

from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from customers.models import Customer
from q3helpdesk.demo import seeding
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 26)


def test_seed_demo_refuses_a_database_with_a_real_customer(settings):
    settings.DEBUG = True
    real = factories.CustomerFactory(number="4711", name="Fiduciaire Réelle SA")
    with pytest.raises(CommandError, match="not demo data") as error:
        call_command("seed_demo")
    assert "4711" in str(error.value) and "--force" in str(error.value)
    assert list(Customer.objects.all()) == [real]


def test_seed_demo_with_force_runs_beside_real_customers(settings):
    settings.DEBUG = True
    factories.CustomerFactory(number="4711")
    call_command("seed_demo", "--force")
    assert Customer.objects.count() == 1 + len(seeding.demo_data.DEMO_CUSTOMERS)


def test_demo_customers_hand_written_and_generated_are_recognised():
    seeding.seed_users()
    seeding.seed_company()
    seeding.seed_customers(TODAY)
    seeding.seed_scale(5, TODAY)
    assert Customer.objects.count() == len(seeding.demo_data.DEMO_CUSTOMERS) + 5
    assert not seeding.non_demo_customers().exists()


@pytest.mark.parametrize(
    "fields",
    [
        # A demo number under another name is a real customer.
        {"number": "10001", "name": "Garage du Centre SA"},
        {"number": "100003", "email": "info@garage.ch"},
        {"number": "100004", "email": "info@dupont-100005.ch"},
        {"number": "5000", "email": ""},
    ],
)
def test_anything_else_is_a_real_customer(fields):
    customer = factories.CustomerFactory(**fields)
    assert list(seeding.non_demo_customers()) == [customer]


@pytest.fixture
def demo_accounts():
    user = factories.UserFactory(username="billing", is_staff=True)
    user.set_password(seeding.DEMO_PASSWORD)
    user.save()
    return user


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_the_demo_password_is_refused_without_debug(client, settings, demo_accounts, url):
    settings.DEBUG = False
    response = client.post(
        url,
        {"username": "billing", "password": seeding.DEMO_PASSWORD},
        HTTP_ACCEPT_LANGUAGE="en",  # the message is read in English
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "manage.py changepassword" in response.content.decode()
    errors = response.context["form"].non_field_errors()
    assert [error for error in errors if "demo password is not accepted" in error]


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_the_demo_password_works_in_development(client, settings, demo_accounts, url):
    settings.DEBUG = True
    response = client.post(url, {"username": "billing", "password": seeding.DEMO_PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
