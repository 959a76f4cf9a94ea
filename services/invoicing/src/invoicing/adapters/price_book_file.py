"""The price book as JSON; the package ships a default one (`invoicing/price_book.json`), which the
second migration loads into the database (prices in effect since 1970).

    {"meters": [{"code": "compute.vcpu_hours", "unit": "vCPU-hour", "aggregation": "sum",
                 "unit_prices": {"USD": "0.0412"},
                 "prices": [{"currency": "EUR", "model": "graduated",
                             "tiers": [{"up_to": "100", "unit_price": "0.04"}, {"unit_price": "0.03"}]}]}]}

`unit_prices` is shorthand for per-unit prices. Decimals are strings, never JSON numbers, so no
price ever passes through a binary float. Also here: a price to and from its database row.
"""

import json
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from invoicing.domain.errors import InvalidPriceBook
from invoicing.domain.price_book import EPOCH, Meter, PriceBook
from invoicing.domain.tiers import Price, PriceModel, Tier, tiers_from_bounds

DEFAULT_PRICE_BOOK = Path(__file__).resolve().parent.parent / "price_book.json"


def load_price_book(path: Path = DEFAULT_PRICE_BOOK) -> PriceBook:
    return price_book_from_json(path.read_text(encoding="utf-8"))


def price_book_from_json(text: str) -> PriceBook:
    """The price book a JSON document describes; `InvalidPriceBook` (a ValueError) naming the first bad entry."""
    document = json.loads(text)
    if not isinstance(document, dict) or not isinstance(document.get("meters"), list):
        raise InvalidPriceBook('a price book is a JSON object with a "meters" list')
    meters, prices = [], []
    for entry in document["meters"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("code"), str) or not isinstance(entry.get("unit"), str):
            raise InvalidPriceBook(f"a meter needs a string code and unit: {entry!r}")
        code = entry["code"]
        try:
            meters.append(Meter(code, entry["unit"], entry.get("aggregation", "sum"), entry.get("property")))
        except ValueError as error:
            raise InvalidPriceBook(f"meter {code}: {error}") from None
        unit_prices = entry.get("unit_prices", {})
        if not isinstance(unit_prices, dict):
            raise InvalidPriceBook(f"meter {code}: unit_prices is an object of currency to decimal string")
        for currency, value in unit_prices.items():
            prices.append(Price(code, currency, EPOCH, PriceModel.PER_UNIT, decimal(value, f"meter {code} {currency} price")))
        for price in entry.get("prices", []):
            prices.append(price_from_document({"meter": code, "effective_from": EPOCH, **price}))
    return PriceBook(meters, prices)


def decimal(value: Any, what: str) -> Decimal:
    """A decimal string as a Decimal; `InvalidPriceBook` naming `what` otherwise."""
    if not isinstance(value, str):
        raise InvalidPriceBook(f"{what} must be a decimal string, not {value!r}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise InvalidPriceBook(f"{what} {value!r} is not a decimal") from None
    if not number.is_finite():
        raise InvalidPriceBook(f"{what} {value!r} is not a finite decimal")
    return number


def _optional(value: Any, what: str) -> Decimal | None:
    return None if value is None else decimal(value, what)


def price_from_document(doc: dict) -> Price:
    """A price from its JSON (file, HTTP body or database row); `InvalidPriceBook` if it is not one."""
    meter, currency = doc.get("meter"), doc.get("currency")
    where = f"the {currency} price of {meter}"
    try:
        model = PriceModel(doc.get("model", "per_unit"))
    except ValueError:
        raise InvalidPriceBook(f"{where}: model must be one of {', '.join(PriceModel)}") from None
    bounds = []
    for number, tier in enumerate(doc.get("tiers") or [], 1):
        what = f"{where}, tier {number}"
        bounds.append((_optional(tier.get("from"), f"{what} from"), _optional(tier.get("up_to"), f"{what} up_to"),
                       decimal(tier.get("unit_price"), f"{what} unit_price"),
                       decimal(tier.get("flat_fee", "0"), f"{what} flat_fee")))
    effective_from = doc["effective_from"]
    if isinstance(effective_from, str):
        effective_from = datetime.fromisoformat(effective_from)
    return Price(
        meter=meter, currency=currency, effective_from=effective_from, model=model,
        unit_price=_optional(doc.get("unit_price"), f"{where}: unit_price"), tiers=tiers_from_bounds(bounds),
        package_size=_optional(doc.get("package_size"), f"{where}: package_size"),
        package_price=_optional(doc.get("package_price"), f"{where}: package_price"),
    )


def tiers_document(tiers: tuple[Tier, ...]) -> list[dict] | None:
    if not tiers:
        return None
    return [{"up_to": None if t.up_to is None else str(t.up_to), "unit_price": str(t.unit_price),
             "flat_fee": str(t.flat_fee)} for t in tiers]


def price_rows(price: Price) -> dict:
    """The price's columns in the `prices` table (without `created_at`)."""
    return {"meter": price.meter, "currency": price.currency, "effective_from": price.effective_from,
            "model": price.model.value, "unit_price": price.unit_price, "tiers": tiers_document(price.tiers),
            "package_size": price.package_size, "package_price": price.package_price}


def price_from_row(row: Any) -> Price:
    tiers = tuple(Tier(None if t["up_to"] is None else Decimal(t["up_to"]), Decimal(t["unit_price"]),
                       Decimal(t.get("flat_fee", "0"))) for t in row.tiers or [])
    return Price(row.meter, row.currency, row.effective_from, PriceModel(row.model), row.unit_price, tiers,
                 row.package_size, row.package_price)
