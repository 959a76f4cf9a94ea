"""Billing periods: calendar months in UTC, start inclusive, end exclusive."""

import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from invoicing.domain.errors import InvalidBillingPeriod
from invoicing.domain.periods import BillingPeriod, closable_before


def test_a_period_is_a_calendar_month_half_open():
    november = BillingPeriod.parse("2026-11")
    assert (november.start, november.end) == (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    assert november.start in november
    assert datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=UTC) in november
    assert november.end not in november
    assert november.label == "2026-11"


def test_december_ends_in_the_next_year_and_february_knows_leap_years():
    assert BillingPeriod.parse("2026-12").end == datetime(2027, 1, 1, tzinfo=UTC)
    assert BillingPeriod.parse("2028-02").end - BillingPeriod.parse("2028-02").start == timedelta(days=29)


def test_usage_belongs_to_the_utc_month_it_happened_in():
    # 00:30 on 1 December in Berlin is still November in UTC.
    berlin = timezone(timedelta(hours=1))
    assert BillingPeriod.containing(datetime(2026, 12, 1, 0, 30, tzinfo=berlin)).label == "2026-11"
    assert BillingPeriod.containing(datetime(2026, 12, 1, 0, 0, tzinfo=UTC)).label == "2026-12"


def test_a_start_given_in_another_zone_is_kept_in_utc():
    period = BillingPeriod(datetime(2026, 11, 1, 1, 0, tzinfo=timezone(timedelta(hours=1))))
    assert period.start == datetime(2026, 11, 1, tzinfo=UTC) and period.start.tzinfo is UTC


@pytest.mark.parametrize("label", ["2026-13", "2026-1", "26-11", "2026-00", "november", "2026-11-01"])
def test_labels_are_year_dash_month(label):
    with pytest.raises(InvalidBillingPeriod):
        BillingPeriod.parse(label)


@pytest.mark.parametrize(
    "start", [datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 1, 6, tzinfo=UTC), datetime(2026, 11, 1)]
)
def test_a_period_starts_at_midnight_utc_on_the_first(start):
    with pytest.raises(InvalidBillingPeriod):
        BillingPeriod(start)


def test_a_period_may_close_once_its_end_plus_the_grace_period_has_passed():
    grace = timedelta(hours=24)
    november = BillingPeriod.parse("2026-11")
    assert november.start >= closable_before(datetime(2026, 12, 1, 23, 59, tzinfo=UTC), grace)
    assert november.start < closable_before(datetime(2026, 12, 2, 0, 0, tzinfo=UTC), grace)
    assert closable_before(datetime(2026, 12, 2, tzinfo=UTC), grace) == datetime(2026, 12, 1, tzinfo=UTC)


def test_the_tests_far_months_never_repeat_in_a_run():
    """The months conftest's `far_period` hands the tests are each a test's own: 2,000 drawn at
    random from 700 years would repeat about 240 times, and two tests closing one month bill each
    other's usage. (conftest is loaded by pytest, not importable: it is found among the modules.)"""
    conftest = next(module for module in list(sys.modules.values())
                    if getattr(module, "__file__", None) == str(Path(__file__).with_name("conftest.py")))
    months = [conftest.unique_far_month() for _ in range(2_000)]
    assert len(set(months)) == len(months)
    assert all(month.start.year >= 2200 for month in months)
