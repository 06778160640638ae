from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine


@pytest.fixture(autouse=True)
def desk_today():
    """Ledger tests work on 2026 and early 2027; "today" is fixed after them (no future work)."""
    with time_machine.travel(datetime(2027, 3, 15, 10, 0, tzinfo=ZoneInfo("Europe/Zurich"))):
        yield


QR_IBAN = "CH44 3199 9123 0008 8901 2"  # the QR-IBAN of the QR-bill standard's examples
IBAN = "CH93 0076 2011 6238 5295 7"


def make_creditor(iban: str = QR_IBAN):
    from billing.models import Company

    return Company.objects.create(
        legal_name="Q3 Software SA",
        street="Bahnhofplatz",
        house_number="1",
        postcode="3011",
        city="Bern",
        country="CH",
        uid="CHE-123.456.788",
        iban=iban,
        email="billing@q3software.example",
        phone="+41 31 000 00 00",
        footer="Thank you for your trust.",
        payment_term_days=30,
    )


@pytest.fixture
def creditor(db):
    """The company with a QR-IBAN (invoices carry a QR reference)."""
    return make_creditor()
