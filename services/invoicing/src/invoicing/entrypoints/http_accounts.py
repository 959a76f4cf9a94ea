"""Routes about one billing account's invoicing: its estimate and invoice settings, and the
operators' reconciliation of an invoice."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from billing_runtime.access import require_member, require_operator
from billing_runtime.auth import Caller
from billing_runtime.clock import Clock
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi import status as codes
from pydantic import BaseModel, Field

from invoicing.adapters import invoice_settings
from invoicing.domain.errors import InvoiceNotFound
from invoicing.entrypoints.dependencies import clock_of
from invoicing.use_cases.estimate_spend import estimate_spend
from invoicing.use_cases.reconcile_invoice import reconcile_invoice

router = APIRouter(prefix="/v1", tags=["invoicing"])


class InvoiceSettings(BaseModel):
    per_project: bool = Field(description="One invoice per project instead of one for the whole account.")


class MeterEstimateView(BaseModel):
    project_id: str
    meter: str
    quantity_to_date: Decimal
    amount_to_date: int
    projected_quantity: Decimal
    projected_amount: int
    priced: bool


class EstimateView(BaseModel):
    period: str
    period_start: datetime
    period_end: datetime
    currency: str
    elapsed_fraction: Decimal = Field(description="How much of the month has passed (0 to 1).")
    amount_to_date: int = Field(description="Minor units, at the prices in effect at the start of the month.")
    projected_amount: int = Field(description="Minor units by month end, if usage goes on as so far.")
    lines: list[MeterEstimateView]


class LineReconciliationView(BaseModel):
    project_id: str
    meter: str
    usage_period: str
    events_received: int
    events_rated_on_invoice: int
    events_billed_overall: int
    events_awaiting_billing: int


class ReconciliationView(BaseModel):
    invoice_id: str
    number: str
    lines: list[LineReconciliationView]
    note: str = "events_received counts distinct events: duplicates are dropped by the consumer's inbox before counting."


@router.put("/billing-accounts/{billing_account_id}/invoice-settings", response_model=InvoiceSettings)
async def change_invoice_settings(
    billing_account_id: str, body: InvoiceSettings, request: Request, clock: Annotated[Clock, Depends(clock_of)],
    _: Annotated[Caller, Depends(require_member("admin"))],
) -> InvoiceSettings:
    """Admins choose one invoice per project; it applies from the next period closed."""
    async with request.app.state.runtime.engine.begin() as tx:
        await invoice_settings.save(tx, billing_account_id, body.per_project, clock.now())
    return body


@router.get("/billing-accounts/{billing_account_id}/invoice-settings", response_model=InvoiceSettings)
async def read_invoice_settings(
    billing_account_id: str, request: Request, _: Annotated[Caller, Depends(require_member("viewer"))],
) -> InvoiceSettings:
    async with request.app.state.runtime.engine.connect() as connection:
        return InvoiceSettings(per_project=await invoice_settings.per_project(connection, billing_account_id))


@router.get("/billing-accounts/{billing_account_id}/estimate", response_model=EstimateView)
async def estimate(
    billing_account_id: str, request: Request, clock: Annotated[Clock, Depends(clock_of)],
    _: Annotated[Caller, Depends(require_member("viewer"))],
) -> EstimateView:
    """Spend this month so far, and projected to month end, by project and meter."""
    async with request.app.state.runtime.engine.connect() as connection:
        spend = await estimate_spend(connection, billing_account_id, clock)
    return EstimateView(
        period=spend.period.label, period_start=spend.period.start, period_end=spend.period.end, currency=spend.currency,
        elapsed_fraction=spend.elapsed_fraction, amount_to_date=spend.amount_to_date,
        projected_amount=spend.projected_amount, lines=[MeterEstimateView(**vars(line)) for line in spend.lines],
    )


@router.get("/invoices/{invoice_id}/reconciliation", response_model=ReconciliationView)
async def reconciliation(
    invoice_id: str, request: Request, _: Annotated[Caller, Depends(require_operator)],
) -> ReconciliationView:
    """Operators: per line, the usage events received, rated on this invoice, billed overall, waiting."""
    try:
        async with request.app.state.runtime.engine.connect() as connection:
            invoice, lines = await reconcile_invoice(connection, invoice_id)
    except InvoiceNotFound as error:
        raise HTTPException(codes.HTTP_404_NOT_FOUND, str(error)) from None
    return ReconciliationView(invoice_id=invoice.id, number=invoice.number,
                              lines=[LineReconciliationView(**vars(line)) for line in lines])
