"""Invoicing's HTTP API: thin routes from request to use case to response."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from billing_runtime.access import require_member, require_operator
from billing_runtime.auth import Caller, CurrentCaller
from billing_runtime.clock import Clock, SystemClock
from billing_runtime.service import create_service_app
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi import status as codes
from pydantic import BaseModel, Field

from invoicing.adapters.price_book_file import load_price_book
from invoicing.bootstrap import bootstrap
from invoicing.domain.errors import InvoiceNotFound
from invoicing.domain.invoices import Invoice, InvoiceStatus
from invoicing.domain.periods import LABEL, BillingPeriod
from invoicing.domain.price_book import PriceBook
from invoicing.settings import InvoicingSettings
from invoicing.use_cases.close_period import close_period
from invoicing.use_cases.read_invoices import account_invoices, invoice_for_member

router = APIRouter(prefix="/v1", tags=["invoicing"])


class PeriodToClose(BaseModel):
    period: str = Field(pattern=LABEL.pattern, description="The calendar month (UTC) to close.", examples=["2026-11"])


class AccountNotInvoiced(BaseModel):
    billing_account_id: str
    reason: str


class ClosedPeriod(BaseModel):
    period: str = Field(examples=["2026-11"])
    invoices_finalized: int = Field(description="Invoices finalized by this request (0 when closed already).")
    not_invoiced: list[AccountNotInvoiced] = Field(
        default_factory=list, description="Accounts left open because some of their usage has no price."
    )


class InvoiceSummary(BaseModel):
    id: str
    number: str
    billing_account_id: str
    status: InvoiceStatus
    amount_due: int = Field(description="In minor units of `currency`.")
    currency: str
    period: str = Field(examples=["2026-11"])
    period_start: datetime
    period_end: datetime
    finalized_at: datetime | None
    due_at: datetime | None
    paid_at: datetime | None

    @classmethod
    def of(cls, invoice: Invoice) -> "InvoiceSummary":
        return cls(
            id=invoice.id, number=invoice.number, billing_account_id=invoice.billing_account_id,
            status=invoice.status, amount_due=invoice.amount_due, currency=invoice.currency,
            period=invoice.period.label, period_start=invoice.period.start, period_end=invoice.period.end,
            finalized_at=invoice.finalized_at, due_at=invoice.due_at, paid_at=invoice.paid_at,
        )


class InvoiceLineView(BaseModel):
    project_id: str
    meter: str
    quantity: Decimal
    unit_price: Decimal = Field(description="Price of one unit, in major units of the invoice's currency.")
    amount: int = Field(description="quantity × unit_price, rounded half-even to minor units.")


class InvoiceView(InvoiceSummary):
    lines: list[InvoiceLineView]


def _clock(request: Request) -> Clock:
    return request.app.state.clock


def _price_book(request: Request) -> PriceBook:
    return request.app.state.price_book


@router.post("/billing-periods/close", response_model=ClosedPeriod)
async def close_billing_period(
    body: PeriodToClose,
    request: Request,
    clock: Annotated[Clock, Depends(_clock)],
    price_book: Annotated[PriceBook, Depends(_price_book)],
    _: Annotated[Caller, Depends(require_operator)],
) -> ClosedPeriod:
    """Finalize the period's invoices now (operators only); closing again finalizes nothing new."""
    period = BillingPeriod.parse(body.period)
    async with request.app.state.runtime.engine.begin() as tx:
        closing = await close_period(period.start, tx, clock, price_book)
    return ClosedPeriod(
        period=period.label,
        invoices_finalized=len(closing.finalized),
        not_invoiced=[AccountNotInvoiced(billing_account_id=a, reason=r) for a, r in closing.not_invoiced.items()],
    )


@router.get("/billing-accounts/{billing_account_id}/invoices", response_model=list[InvoiceSummary])
async def list_invoices(
    billing_account_id: str,
    request: Request,
    _: Annotated[Caller, Depends(require_member("viewer"))],
    status: InvoiceStatus | None = None,
) -> list[InvoiceSummary]:
    async with request.app.state.runtime.engine.connect() as connection:
        invoices = await account_invoices(connection, billing_account_id, status)
    return [InvoiceSummary.of(invoice) for invoice in invoices]


@router.get("/invoices/{invoice_id}", response_model=InvoiceView)
async def get_invoice(invoice_id: str, request: Request, caller: CurrentCaller) -> InvoiceView:
    """The invoice with its lines; 404 unless the caller is a member of the invoice's account."""
    try:
        async with request.app.state.runtime.engine.connect() as connection:
            invoice = await invoice_for_member(connection, invoice_id, caller.email)
    except InvoiceNotFound as error:
        raise HTTPException(codes.HTTP_404_NOT_FOUND, str(error)) from None
    lines = [InvoiceLineView(**vars(line)) for line in invoice.lines]
    return InvoiceView(**InvoiceSummary.of(invoice).model_dump(), lines=lines)


def create_app(
    settings: InvoicingSettings | None = None, clock: Clock | None = None, price_book: PriceBook | None = None
) -> FastAPI:
    """The invoicing app; tests hand it a clock (and a price book) of their own."""
    clock = clock or SystemClock()
    price_book = price_book or load_price_book()
    runtime = bootstrap(settings or InvoicingSettings(), clock=clock, price_book=price_book)
    app = create_service_app(runtime, routers=[router])
    app.state.clock = clock
    app.state.price_book = price_book
    return app
