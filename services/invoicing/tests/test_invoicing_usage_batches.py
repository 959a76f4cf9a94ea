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
