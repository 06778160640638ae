"""Invoice numbers: per year, gap-free, unique even when several desks issue at once."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from billing.models import InvoiceNumberSequence
from billing.services import invoice_number_next


def take(year: int) -> str:
    with transaction.atomic():
        return invoice_number_next(year=year)


@pytest.mark.django_db
def test_numbers_follow_each_other_and_restart_each_year():
    assert [take(2026) for _ in range(3)] == ["2026-00001", "2026-00002", "2026-00003"]
    assert take(2027) == "2027-00001"
    assert take(2026) == "2026-00004"


@pytest.mark.django_db
def test_a_rolled_back_issue_gives_its_number_back():
    take(2026)
    with pytest.raises(RuntimeError), transaction.atomic():
        assert invoice_number_next(year=2026) == "2026-00002"
        raise RuntimeError("the PDF could not be prepared")
    assert take(2026) == "2026-00002"  # no gap


@pytest.mark.django_db
@pytest.mark.parametrize("year", [1999, 10000, "2026", 2026.0, True])
def test_bad_year_is_refused(year):
    with pytest.raises(ValidationError, match="year"), transaction.atomic():
        invoice_number_next(year=year)
    assert not InvoiceNumberSequence.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_number_is_only_taken_inside_the_issuing_transaction():
    with pytest.raises(RuntimeError, match="inside the issuing transaction"):
        invoice_number_next(year=2026)
    assert not InvoiceNumberSequence.objects.exists()


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_issuing_gives_unique_consecutive_numbers():
    desks, per_desk = 6, 5
    barrier = threading.Barrier(desks)
    numbers, errors = [], []

    def issue():
        try:
            barrier.wait()
            for _ in range(per_desk):
                numbers.append(take(2026))
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=issue) for _ in range(desks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(numbers) == [f"2026-{n:05d}" for n in range(1, desks * per_desk + 1)]
