from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.factories import make_company


@pytest.fixture(autouse=True)
def desk_today():
    """Ledger tests work on 2026 and early 2027; "today" is fixed after them (no future work)."""
    with time_machine.travel(datetime(2027, 3, 15, 10, 0, tzinfo=ZoneInfo("Europe/Zurich"))):
        yield


@pytest.fixture
def creditor(db):
    """The company with a QR-IBAN (invoices carry a QR reference)."""
    return make_company()
