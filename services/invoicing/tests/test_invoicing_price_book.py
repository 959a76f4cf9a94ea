"""The price book: the shipped default, the four price models at their tier boundaries, the four
aggregations, and what it refuses (overlapping tiers, unknown currencies, prices without meters)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from invoicing.adapters.price_book_file import load_price_book, price_book_from_json, price_from_document
from invoicing.domain.errors import (
    DuplicateEntry, InvalidPriceBook, MissingUsageProperty, PriceMissing, PriceWithoutMeter, UnknownMeter, UsageFromTheFuture,
    UsageTooOld,
)
from invoicing.domain.periods import BillingPeriod
from invoicing.domain.price_book import EPOCH, Aggregation, Meter, PriceBook
from invoicing.domain.rating import rate
from invoicing.domain.tiers import Price, Tier, tiers_from_bounds
from invoicing.domain.usage import MeteredUsage, Usage, UsageKey, UsageWindow, aggregate_usage

NOV = BillingPeriod.parse("2026-11")


def test_the_default_price_book_prices_the_platform_meters():
    book = load_price_book()
    assert book.price("compute.vcpu_hours", "USD", NOV.start).unit_price == D("0.0412")
    assert book.price("storage.gb_months", "EUR", NOV.start).unit_price == D("0.021")
    assert book.price("network.egress_gb", "JPY", NOV.start).unit_price == D("13")
    assert book.meter("storage.gb_months").unit == "GB-month"
    assert book.meter("storage.gb_months").aggregation is Aggregation.SUM
    with pytest.raises(UnknownMeter):
        book.price("gpu.hours", "USD", NOV.start)
    with pytest.raises(PriceMissing):
        book.price("compute.vcpu_hours", "CHF", NOV.start)


def price(model: str, **terms) -> Price:
    return Price("api.requests", "USD", EPOCH, model, **terms)


GRADUATED = price("graduated", tiers=(Tier(D(100), D("0.10")), Tier(D(1000), D("0.08")), Tier(None, D("0.05"))))
VOLUME = price("volume", tiers=(Tier(D(100), D("0.10")), Tier(D(1000), D("0.08"), D("5")), Tier(None, D("0.05"))))


@pytest.mark.parametrize(("quantity", "amount"), [
    ("0", "0"), ("1", "0.10"), ("100", "10.00"), ("100.5", "10.04"), ("101", "10.08"),
    ("1000", "82.00"), ("1001", "82.05"),
])
def test_graduated_tiers_price_each_unit_at_its_own_tier(quantity, amount):
    assert GRADUATED.amount(D(quantity)) == D(amount)


@pytest.mark.parametrize(("quantity", "amount"), [
    ("0", "0"), ("100", "10.00"), ("101", "13.08"), ("1000", "85.00"), ("1000.01", "50.0005"),
])
def test_volume_tiers_price_every_unit_at_the_tier_of_the_whole_quantity(quantity, amount):
    # Tier 2 adds a flat fee of 5 once reached: 101 × 0.08 + 5 = 13.08.
    assert VOLUME.amount(D(quantity)) == D(amount)


@pytest.mark.parametrize(("quantity", "amount"), [("0", "0"), ("1", "2"), ("1000", "2"), ("1000.001", "4"), ("2000", "4")])
def test_packages_round_a_started_block_up(quantity, amount):
    assert price("package", package_size=D(1000), package_price=D(2)).amount(D(quantity)) == D(amount)


def test_per_unit_and_a_line_rounded_once_half_even():
    book = PriceBook([Meter("api.requests", "request")], [price("per_unit", unit_price=D("0.005"))])
    _, line = rate(MeteredUsage("prj", "api.requests", NOV, D(3), 3, D(1), 0), book, "USD")
    assert (line.quantity, line.amount, line.unit_price, line.price_terms) == (D(3), 2, D("0.005"), "0.005 per unit")


@pytest.mark.parametrize(("aggregation", "billed"), [("sum", D("7.5")), ("count", D(3)), ("max", D(5)), ("unique_count", D(2))])
def test_each_aggregation_bills_its_own_quantity(aggregation, billed):
    meter = Meter("seats.active", "seat", aggregation, "user_id" if aggregation == "unique_count" else None)
    book = PriceBook([meter], [Price("seats.active", "USD", EPOCH, "per_unit", D(1))])
    at = NOV.start + timedelta(days=2)
    usages = [Usage("ba", "prj", "seats.active", D(q), at, {"user_id": u}) for q, u in (("2", "ada"), ("5", "bob"), ("0.5", "ada"))]
    [(key, tally)] = aggregate_usage(usages, book).items()
    assert key == UsageKey("ba", "prj", "seats.active", NOV)
    values = {"ada", "bob"} if aggregation == "unique_count" else set()  # kept only where counted
    assert (tally.quantity, tally.events, tally.max_quantity, tally.unique_values) == (D("7.5"), 3, D(5), values)
    metered = MeteredUsage("prj", "seats.active", NOV, tally.quantity, tally.events, tally.max_quantity, len(tally.unique_values))
    assert metered.billable(meter) == billed


def test_a_unique_count_needs_its_property_and_unknown_meters_are_refused():
    book = PriceBook([Meter("users.active", "user", "unique_count", "user_id")])
    with pytest.raises(MissingUsageProperty, match="user_id"):
        aggregate_usage([Usage("ba", "prj", "users.active", D(1), NOV.start)], book)
    with pytest.raises(UnknownMeter):
        aggregate_usage([Usage("ba", "prj", "gpu.hours", D(1), NOV.start)], book)


def test_usage_outside_the_window_is_refused_at_both_ends():
    now, window = datetime(2026, 11, 10, tzinfo=UTC), UsageWindow(max_ahead=timedelta(hours=1), dedup=timedelta(days=40))
    at = lambda offset: [Usage("ba", "prj", "m", D(1), now + offset)]  # noqa: E731
    window.check(at(timedelta(hours=1)), now)
    window.check(at(-timedelta(days=40) + timedelta(hours=1)), now)  # its copy would still be recognized
    with pytest.raises(UsageFromTheFuture):
        window.check(at(timedelta(hours=1, seconds=1)), now)
    with pytest.raises(UsageTooOld):
        window.check(at(-timedelta(days=40) + timedelta(hours=1) - timedelta(microseconds=1)), now)


def test_a_window_must_remember_ids_longer_than_usage_may_be_ahead():
    with pytest.raises(ValueError):
        UsageWindow(max_ahead=timedelta(days=2), dedup=timedelta(days=1))


def test_the_price_in_effect_at_the_period_start_applies():
    later = datetime(2026, 11, 15, tzinfo=UTC)
    book = PriceBook([Meter("api.requests", "request")],
                     [price("per_unit", unit_price=D(1)), Price("api.requests", "USD", later, "per_unit", D(2))])
    assert book.price("api.requests", "USD", NOV.start).unit_price == D(1)  # mid-November change: from December
    assert book.price("api.requests", "USD", BillingPeriod.parse("2026-12").start).unit_price == D(2)
    with pytest.raises(DuplicateEntry):
        book.with_price(Price("api.requests", "USD", later, "per_unit", D(3)))


@pytest.mark.parametrize(("bounds", "message"), [
    ([(None, D(100), D(1), D(0)), (D(90), None, D(1), D(0))], "overlap"),
    ([(None, D(100), D(1), D(0)), (D(110), None, D(1), D(0))], "gap"),
])
def test_tiers_that_overlap_or_leave_gaps_are_refused(bounds, message):
    with pytest.raises(InvalidPriceBook, match=message):
        tiers_from_bounds(bounds)


@pytest.mark.parametrize(("terms", "message"), [
    (dict(tiers=(Tier(D(100), D(1)), Tier(D(100), D(1)), Tier(None, D(1)))), "overlap"),
    (dict(tiers=(Tier(D(100), D(1)), Tier(D(200), D(1)))), "unbounded"),
    (dict(tiers=(Tier(None, D(1)), Tier(D(200), D(1)))), "only the last"),
    (dict(unit_price=D(1)), "tiers only"),
    (dict(tiers=(Tier(None, D(-1)),)), "non-negative"),
])
def test_malformed_tiered_prices_are_refused(terms, message):
    with pytest.raises(InvalidPriceBook, match=message):
        price("graduated", **terms)


def test_unknown_currencies_malformed_packages_and_prices_without_meters_are_refused():
    with pytest.raises(InvalidPriceBook, match="ISO 4217"):
        Price("api.requests", "XYZ", EPOCH, "per_unit", D(1))
    with pytest.raises(InvalidPriceBook, match="above zero"):
        price("package", package_size=D(0), package_price=D(1))
    with pytest.raises(PriceWithoutMeter):
        PriceBook([], [price("per_unit", unit_price=D(1))])
    with pytest.raises(InvalidPriceBook, match="property"):
        Meter("users.active", "user", "unique_count")


@pytest.mark.parametrize("document", [
    '{"meters": [{"code": "a.b", "unit": "u", "unit_prices": {"USD": 0.1}}]}',  # a float
    '{"meters": [{"code": "a.b", "unit": "u", "unit_prices": {"USD": "ten"}}]}',
    '{"meters": [{"code": "a.b", "unit": "u", "unit_prices": {"USD": "-1"}}]}',
    '{"meters": [{"code": "a.b", "unit": "u", "unit_prices": {"USD": "NaN"}}]}',
    '{"meters": [{"code": "a.b", "unit": "u"}, {"code": "a.b", "unit": "u"}]}',
    '{"meters": [{"code": "a.b", "unit": "u", "aggregation": "median"}]}',
    '{"prices": []}',
])
def test_a_price_book_file_with_bad_entries_is_refused(document):
    with pytest.raises(ValueError):
        price_book_from_json(document)


def test_a_price_document_round_trips_with_tiers():
    doc = {"meter": "api.requests", "currency": "EUR", "model": "volume", "effective_from": "2027-01-01T00:00:00+00:00",
           "tiers": [{"up_to": "10", "unit_price": "1"}, {"from": "10", "unit_price": "0.5", "flat_fee": "2"}]}
    parsed = price_from_document(doc)
    assert parsed.tiers == (Tier(D(10), D(1)), Tier(None, D("0.5"), D(2)))
    assert parsed.terms() == "volume: 0-10 at 1; above 10 at 0.5 + 2 flat"
