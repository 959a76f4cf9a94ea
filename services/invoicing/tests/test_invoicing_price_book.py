"""The price book: the shipped default, lookups, and refusing prices that are not exact decimals."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from invoicing.adapters.price_book_file import load_price_book, price_book_from_json
from invoicing.domain.errors import PriceMissing, UnknownMeter
from invoicing.domain.price_book import Meter, PriceBook
from invoicing.domain.usage import Usage, UsageKey, aggregate_usage
from invoicing.domain.periods import BillingPeriod


def test_the_default_price_book_prices_the_platform_meters():
    book = load_price_book()
    assert book.unit_price("compute.vcpu_hours", "USD") == Decimal("0.0412")
    assert book.unit_price("compute.vcpu_hours", "EUR") == Decimal("0.0380")
    assert book.unit_price("storage.gb_months", "USD") == Decimal("0.023")
    assert book.unit_price("storage.gb_months", "EUR") == Decimal("0.021")
    assert book.unit_price("network.egress_gb", "USD") == Decimal("0.09")
    assert book.unit_price("network.egress_gb", "EUR") == Decimal("0.085")
    assert book.meter("storage.gb_months").unit == "GB-month"


def test_an_unknown_meter_and_a_missing_currency_are_told_apart():
    book = load_price_book()
    with pytest.raises(UnknownMeter) as unknown:
        book.unit_price("gpu.hours", "USD")
    assert unknown.value.meter == "gpu.hours"
    with pytest.raises(PriceMissing):
        book.unit_price("compute.vcpu_hours", "CHF")


@pytest.mark.parametrize(
    "document",
    [
        '{"meters": [{"code": "a.b", "unit": "u", "unit_prices": {"USD": 0.1}}]}',  # a float
        '{"meters": [{"code": "a.b", "unit": "u", "unit_prices": {"USD": "ten"}}]}',
        '{"meters": [{"code": "a.b", "unit": "u", "unit_prices": {"USD": "-1"}}]}',
        '{"meters": [{"code": "a.b", "unit": "u", "unit_prices": {"USD": "NaN"}}]}',
        '{"meters": [{"code": "a.b", "unit": "u"}, {"code": "a.b", "unit": "u"}]}',
        '{"prices": []}',
    ],
)
def test_a_price_book_with_bad_prices_is_refused(document):
    with pytest.raises(ValueError):
        price_book_from_json(document)


def test_usage_aggregates_per_account_project_meter_and_month_and_refuses_unknown_meters():
    book = PriceBook([Meter("compute.vcpu_hours", "vCPU-hour", {"USD": Decimal("0.0412")})])
    nov, dec = datetime(2026, 11, 30, 23, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    usages = [Usage("ba_1", "prj_1", "compute.vcpu_hours", Decimal("1.5"), nov),
              Usage("ba_1", "prj_1", "compute.vcpu_hours", Decimal("0.25"), nov),
              Usage("ba_1", "prj_1", "compute.vcpu_hours", Decimal("2"), dec),
              Usage("ba_1", "prj_2", "compute.vcpu_hours", Decimal("3"), nov)]
    totals = aggregate_usage(usages, book)
    november, december = BillingPeriod.parse("2026-11"), BillingPeriod.parse("2026-12")
    assert totals == {
        UsageKey("ba_1", "prj_1", "compute.vcpu_hours", november): Decimal("1.75"),
        UsageKey("ba_1", "prj_1", "compute.vcpu_hours", december): Decimal("2"),
        UsageKey("ba_1", "prj_2", "compute.vcpu_hours", november): Decimal("3"),
    }
    with pytest.raises(UnknownMeter):
        aggregate_usage([*usages, Usage("ba_1", "prj_1", "gpu.hours", Decimal("1"), nov)], book)
