from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine


@pytest.fixture(autouse=True)
def desk_today():
    """The desk works on 2 March 2026 in these tests (inside the factories' rental period)."""
    with time_machine.travel(datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("Europe/Zurich"))):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Attachments and stored files of a test go to its own folder."""
    settings.MEDIA_ROOT = tmp_path
