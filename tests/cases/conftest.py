from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.factories import ContactFactory, rental_customer


@pytest.fixture(autouse=True)
def desk_today():
    """The desk works on 2 March 2026 in these tests (inside the factories' rental period)."""
    with time_machine.travel(datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("Europe/Zurich"))):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Attachments and stored files of a test go to its own folder."""
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def customer():
    """Keller AG: a premium rental customer in German with one contact, Anna Keller (a
    test file may define its own ``customer``)."""
    customer = rental_customer(
        variant="premium", number="10001", language="de", email="info@keller.example"
    )
    ContactFactory(customer=customer, name="Anna Keller", email="anna@keller.example")
    return customer
