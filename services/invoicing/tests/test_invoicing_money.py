"""Money rules: half-even rounding per line, totals as sums of rounded lines, ISO 4217 exponents."""

from decimal import Decimal

import pytest

from invoicing.domain.rating import price_lines
from invoicing.domain.money import add_quantities, invoice_total, line_amount, minor_unit_exponent, to_minor_units
from invoicing.domain.periods import BillingPeriod
from invoicing.domain.price_book import EPOCH, Meter, PriceBook
from invoicing.domain.tiers import Price
from invoicing.domain.usage import MeteredUsage

NOV = BillingPeriod.parse("2026-11")


def per_unit_book(currency: str, **prices: str) -> PriceBook:
    codes = {code.replace("__", "."): price for code, price in prices.items()}
    return PriceBook([Meter(code, "unit") for code in codes],
                     [Price(code, currency, EPOCH, "per_unit", Decimal(p)) for code, p in codes.items()])


def used(project: str, meter: str, quantity: str) -> MeteredUsage:
    return MeteredUsage(project, meter, NOV, Decimal(quantity), 1, Decimal(quantity), 0)


@pytest.mark.parametrize(
    ("currency", "exponent"), [("USD", 2), ("EUR", 2), ("JPY", 0), ("KRW", 0), ("KWD", 3), ("GBP", 2)]
)
def test_exponents_follow_iso_4217(currency, exponent):
    assert minor_unit_exponent(currency) == exponent


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("0.125", "USD", 12),  # a half goes to the even cent...
        ("0.135", "USD", 14),  # ...up or down
        ("0.1251", "USD", 13),  # more than a half goes up
        ("2.5", "JPY", 2),  # yen have no minor unit
        ("3.5", "JPY", 4),
        ("0.0005", "KWD", 0),
        ("0.0015", "KWD", 2),
        ("0", "EUR", 0),
    ],
)
def test_amounts_round_half_even_to_the_minor_unit(amount, currency, minor):
    assert to_minor_units(Decimal(amount), currency) == minor


def test_a_line_is_quantity_times_unit_price_rounded_once():
    assert line_amount(Decimal("12.5"), Decimal("0.0412"), "USD") == 52  # 51.5 cents → 52
    assert line_amount(Decimal("0.5"), Decimal("0.09"), "USD") == 4  # 4.5 cents → 4
    assert line_amount(Decimal("1000"), Decimal("6.2"), "JPY") == 6200
    assert line_amount(Decimal("0.25"), Decimal("6"), "JPY") == 2  # 1.5 yen → 2


def test_the_total_is_the_sum_of_rounded_lines_not_the_rounded_sum():
    book = per_unit_book("USD", a__units="0.005", b__units="0.005")
    lines = price_lines([used("prj_1", "a.units", "1"), used("prj_1", "b.units", "1")], book, "USD")
    # Each line is half a cent, rounded to 0 (even); the unrounded sum would be one cent.
    assert [line.amount for line in lines] == [0, 0]
    assert invoice_total(line.amount for line in lines) == 0


def test_lines_come_per_project_and_meter_in_a_stable_order_with_their_prices():
    book = per_unit_book("EUR", compute__vcpu_hours="0.0380", storage__gb_months="0.021")
    usage = [used("prj_b", "compute.vcpu_hours", "10"), used("prj_a", "storage.gb_months", "100"),
             used("prj_a", "compute.vcpu_hours", "1")]
    lines = price_lines(usage, book, "EUR")
    assert [(l.project_id, l.meter, l.unit_price, l.amount) for l in lines] == [
        ("prj_a", "compute.vcpu_hours", Decimal("0.0380"), 4),
        ("prj_a", "storage.gb_months", Decimal("0.021"), 210),
        ("prj_b", "compute.vcpu_hours", Decimal("0.0380"), 38),
    ]


def test_quantities_add_exactly_beyond_the_default_28_digits():
    big, tiny = Decimal("12345678901234567890.123456789012345678"), Decimal("0.000000000000000001")
    assert add_quantities(big, tiny) == Decimal("12345678901234567890.123456789012345679")
    assert big + tiny != Decimal("12345678901234567890.123456789012345679")  # what the default context would do
