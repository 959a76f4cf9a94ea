"""Operators' routes over the price book: meters and price versions."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from billing_runtime.access import require_operator
from billing_runtime.auth import Caller
from billing_runtime.clock import Clock
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi import status as codes
from pydantic import AwareDatetime, BaseModel, Field

from invoicing.adapters import price_catalog
from invoicing.adapters.price_book_file import price_from_document, tiers_document
from invoicing.domain.errors import DuplicateEntry, InvalidPriceBook
from invoicing.domain.price_book import Aggregation, Meter
from invoicing.domain.tiers import Price, PriceModel
from invoicing.entrypoints.dependencies import clock_of
from invoicing.use_cases.change_price_book import add_meter, add_price, prices_in_effect

router = APIRouter(prefix="/v1", tags=["price book"])
Operator = Annotated[Caller, Depends(require_operator)]


class MeterView(BaseModel):
    code: str = Field(examples=["api.requests"])
    unit: str = Field(examples=["request"])
    aggregation: Aggregation = Aggregation.SUM
    property: str | None = Field(default=None, description="The usage property a unique_count meter counts.")


class TierView(BaseModel):
    up_to: Decimal | None = Field(default=None, description="Inclusive upper bound; none for the last tier.")
    unit_price: Decimal
    flat_fee: Decimal = Decimal(0)


class TierInput(TierView):
    from_: Decimal | None = Field(default=None, alias="from", description="Optional; must equal the previous up_to.")


class PriceView(BaseModel):
    meter: str
    currency: str = Field(examples=["USD"])
    model: PriceModel = PriceModel.PER_UNIT
    effective_from: AwareDatetime
    unit_price: Decimal | None = None
    tiers: list[TierView] | None = None
    package_size: Decimal | None = None
    package_price: Decimal | None = None
    terms: str = ""

    @classmethod
    def of(cls, price: Price) -> "PriceView":
        return cls(meter=price.meter, currency=price.currency, model=price.model, effective_from=price.effective_from,
                   unit_price=price.unit_price, tiers=tiers_document(price.tiers), package_size=price.package_size,
                   package_price=price.package_price, terms=price.terms())


class PriceInput(BaseModel):
    meter: str
    currency: str = Field(examples=["USD"])
    model: Literal["per_unit", "graduated", "volume", "package"] = "per_unit"
    effective_from: AwareDatetime = Field(description="From when the price applies; not in the past. Usage is rated at "
                                                      "the price in effect at the start of its billing period.")
    unit_price: Decimal | None = None
    tiers: list[TierInput] | None = None
    package_size: Decimal | None = None
    package_price: Decimal | None = None


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


@router.get("/meters", response_model=list[MeterView])
async def list_meters(request: Request, _: Operator) -> list[MeterView]:
    async with request.app.state.runtime.engine.connect() as connection:
        book = await price_catalog.load_price_book(connection)
    return [MeterView(code=m.code, unit=m.unit, aggregation=m.aggregation, property=m.unique_property) for m in book.meters]


@router.post("/meters", response_model=MeterView, status_code=codes.HTTP_201_CREATED)
async def create_meter(body: MeterView, request: Request, _: Operator) -> MeterView:
    """A new meter (422 if malformed, 409 if the code is taken)."""
    try:
        meter = Meter(body.code, body.unit, body.aggregation, body.property)
        async with request.app.state.runtime.engine.begin() as tx:
            await add_meter(meter, tx)
    except InvalidPriceBook as error:
        raise HTTPException(codes.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None
    except DuplicateEntry as error:
        raise HTTPException(codes.HTTP_409_CONFLICT, str(error)) from None
    return body


@router.get("/prices", response_model=list[PriceView])
async def list_prices(request: Request, _: Operator, meter: str | None = None, currency: str | None = None,
                      at: AwareDatetime | None = None) -> list[PriceView]:
    """Every price version, or with `at` only those in effect then."""
    async with request.app.state.runtime.engine.connect() as connection:
        book = await price_catalog.load_price_book(connection)
    prices = [p for p in book.prices if meter in (None, p.meter) and currency in (None, p.currency)]
    return [PriceView.of(p) for p in prices_in_effect(prices, at)]


@router.post("/prices", response_model=PriceView, status_code=codes.HTTP_201_CREATED)
async def create_price(body: PriceInput, request: Request, clock: Annotated[Clock, Depends(clock_of)], _: Operator) -> PriceView:
    """A new price version: 422 for overlapping tiers, an unknown currency, a meter the book
    lacks or a date in the past; 409 if the meter has a price in the currency from that instant."""
    document = {
        "meter": body.meter, "currency": body.currency, "model": body.model, "effective_from": body.effective_from,
        "unit_price": _text(body.unit_price), "package_size": _text(body.package_size),
        "package_price": _text(body.package_price),
        "tiers": [{"from": _text(t.from_), "up_to": _text(t.up_to), "unit_price": _text(t.unit_price),
                   "flat_fee": _text(t.flat_fee)} for t in body.tiers or []],
    }
    try:
        price = price_from_document(document)
        async with request.app.state.runtime.engine.begin() as tx:
            await add_price(price, tx, clock)
    except InvalidPriceBook as error:
        raise HTTPException(codes.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None
    except DuplicateEntry as error:
        raise HTTPException(codes.HTTP_409_CONFLICT, str(error)) from None
    return PriceView.of(price)
