"""The price book as a JSON file; the package ships a default one (`invoicing/price_book.json`).

    {"meters": [{"code": "compute.vcpu_hours", "unit": "vCPU-hour", "unit_prices": {"USD": "0.0412"}}]}

Prices are decimal strings in major units (dollars, euros, yen), never JSON numbers, so no
price ever passes through a binary float.
"""

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from invoicing.domain.price_book import Meter, PriceBook

DEFAULT_PRICE_BOOK = Path(__file__).resolve().parent.parent / "price_book.json"


def load_price_book(path: Path = DEFAULT_PRICE_BOOK) -> PriceBook:
    return price_book_from_json(path.read_text(encoding="utf-8"))


def price_book_from_json(text: str) -> PriceBook:
    """The price book a JSON document describes; `ValueError` naming the first bad entry."""
    document = json.loads(text)
    if not isinstance(document, dict) or not isinstance(document.get("meters"), list):
        raise ValueError('a price book is a JSON object with a "meters" list')
    return PriceBook(_meter(entry) for entry in document["meters"])


def _meter(entry: Any) -> Meter:
    if not isinstance(entry, dict) or not isinstance(entry.get("code"), str) or not isinstance(entry.get("unit"), str):
        raise ValueError(f"a meter needs a string code and unit: {entry!r}")
    prices = entry.get("unit_prices", {})
    if not isinstance(prices, dict):
        raise ValueError(f"meter {entry['code']}: unit_prices is an object of currency to decimal string")
    return Meter(entry["code"], entry["unit"], {currency: _price(entry["code"], currency, p) for currency, p in prices.items()})


def _price(code: str, currency: str, value: Any) -> Decimal:
    if not isinstance(value, str):
        raise ValueError(f"meter {code}: the {currency} price must be a decimal string, not {value!r}")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ValueError(f"meter {code}: the {currency} price {value!r} is not a decimal") from None
