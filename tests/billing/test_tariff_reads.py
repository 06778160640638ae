"""Reading the tariff in force once: within a posting scope, and the rows of a tariff that
has charged work kept by the process (it never changes again)."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import ActivityRate, Tariff
from billing.scope import posting_scope
from billing.selectors import tariff_in_force
from billing.selectors.tariffs import tariff_kept
from tests.factories import copy_tariff, make_usage, no_credit_customer

pytestmark = pytest.mark.django_db

JUNE = date(2026, 6, 1)


def test_outside_a_scope_every_read_asks_the_database(django_assert_num_queries):
    with django_assert_num_queries(3):  # the tariff, its credit table, its activities
        tariff_in_force(on=date(2026, 5, 1))
    with django_assert_num_queries(3):
        tariff_in_force(on=date(2026, 5, 1))


def test_a_scope_reuses_a_tariff_for_the_days_it_governs(django_assert_num_queries):
    newer = copy_tariff(JUNE, unit_minutes=10)
    older = Tariff.objects.get(valid_from=date(2024, 1, 1))
    with posting_scope():
        with django_assert_num_queries(3):
            assert tariff_in_force(on=date(2026, 8, 31)) == newer
        with django_assert_num_queries(0):  # from its start to the day asked: the same
            assert tariff_in_force(on=JUNE).unit_minutes == 10
            assert tariff_in_force(on=date(2026, 7, 15)) == newer
        with django_assert_num_queries(3):  # before its start: the older one
            assert tariff_in_force(on=date(2026, 5, 31)) == older
        with django_assert_num_queries(0):
            assert tariff_in_force(on=date(2025, 2, 1)) == older
        with django_assert_num_queries(3):  # after the day asked: another may start
            assert tariff_in_force(on=date(2026, 9, 1)) == newer
    with django_assert_num_queries(3):  # the scope has ended
        tariff_in_force(on=JUNE)


def test_a_used_tariff_keeps_its_rows_until_one_is_saved(
    django_capture_on_commit_callbacks, django_assert_num_queries
):
    customer = no_credit_customer()
    on = date(2026, 3, 2)
    tariff = tariff_in_force(on=on)
    assert not tariff_kept(tariff)
    with django_capture_on_commit_callbacks(execute=False):  # rolled back: not used
        make_usage(customer, 20, on=on)
    assert not tariff_kept(tariff_in_force(on=on))
    with django_capture_on_commit_callbacks(execute=True):  # committed: used
        make_usage(customer, 20, on=on, ref="C-2")
    with django_assert_num_queries(1):  # only the tariff's own row
        kept = tariff_in_force(on=on)
        assert kept.activity("support").hourly_rate == Decimal("175.00")
        assert len(kept.credit_allowances.all()) == 8
    row = ActivityRate.objects.get(tariff=kept, code="support")
    row.hourly_rate = Decimal("180.00")  # only a test may: the admin refuses (used tariff)
    row.save()
    with django_assert_num_queries(3):
        assert tariff_in_force(on=on).activity("support").hourly_rate == Decimal("180.00")


def test_a_changed_tariff_row_is_not_served_the_kept_rows(
    django_capture_on_commit_callbacks, django_assert_num_queries
):
    on = date(2026, 3, 2)
    with django_capture_on_commit_callbacks(execute=True):
        make_usage(no_credit_customer(), 20, on=on)
    Tariff.objects.filter(valid_from=date(2024, 1, 1)).update(unit_minutes=10)  # no signal
    with django_assert_num_queries(3):  # its values differ from the kept ones: read again
        assert tariff_in_force(on=on).unit_minutes == 10
