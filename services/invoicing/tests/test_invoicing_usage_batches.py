"""Aggregating a batch of usage: the month of each usage is its UTC month, whatever the offset
it was written with, and a time without a zone is refused even when its month was seen."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal as D

import pytest

from invoicing.domain.errors import InvalidBillingPeriod
from invoicing.domain.periods import BillingPeriod
from invoicing.domain.price_book import Meter, PriceBook
from invoicing.domain.usage import Usage, aggregate_usage

BOOK = PriceBook([Meter("api.requests", "request")])
PLUS_ONE = timezone(timedelta(hours=1))


def test_usage_goes_to_its_utc_month_whatever_its_offset():
    usages = [
        Usage("ba", "prj", "api.requests", D("1.5"), datetime(2026, 11, 15, 12, tzinfo=UTC)),
        Usage("ba", "prj", "api.requests", D("2"), datetime(2026, 11, 1, 0, 30, tzinfo=PLUS_ONE)),  # 31 Oct UTC
        Usage("ba", "prj", "api.requests", D("3"), datetime(2026, 11, 30, 23, 30, tzinfo=PLUS_ONE)),
    ]
    tallies = {key.period: (tally.quantity, tally.events) for key, tally in aggregate_usage(usages, BOOK).items()}
    assert tallies == {BillingPeriod.parse("2026-11"): (D("4.5"), 2), BillingPeriod.parse("2026-10"): (D("2"), 1)}


def test_a_naive_time_is_refused_even_in_a_month_already_seen():
    usages = [
        Usage("ba", "prj", "api.requests", D(1), datetime(2026, 11, 15, tzinfo=UTC)),
        Usage("ba", "prj", "api.requests", D(1), datetime(2026, 11, 16)),
    ]
    with pytest.raises(InvalidBillingPeriod):
        aggregate_usage(usages, BOOK)


def test_sums_keep_every_digit_the_contract_allows():
    """38 digits, 18 of them decimals: more than the default decimal context's 28 would keep."""
    largest, smallest = D("9" * 20 + "." + "9" * 18), D("0." + "0" * 17 + "1")
    usages = [Usage("ba", "prj", "api.requests", q, datetime(2026, 11, 15, tzinfo=UTC)) for q in (largest, smallest, largest)]
    (tally,) = aggregate_usage(usages, BOOK).values()
    assert tally.quantity == D("199999999999999999999.999999999999999999")
    assert (tally.events, tally.max_quantity) == (3, largest)


def test_the_latest_trace_of_an_aggregate_is_kept_and_usage_without_one_keeps_it():
    at = datetime(2026, 11, 15, tzinfo=UTC)
    usages = [Usage("ba", "prj", "api.requests", D(1), at, traceparent=trace) for trace in ("00-a", "00-b", None)]
    (tally,) = aggregate_usage(usages, BOOK).values()
    assert tally.traceparent == "00-b"
