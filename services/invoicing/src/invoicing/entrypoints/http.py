"""Invoicing's HTTP API for invoices: thin routes from request to use case to response."""

from typing import Annotated

from billing_runtime.access import require_member, require_operator
from billing_runtime.auth import Caller, CurrentCaller
from billing_runtime.clock import Clock, SystemClock
from billing_runtime.service import create_service_app
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi import status as codes
from pydantic import BaseModel, Field

from invoicing.adapters.invoice_pdf import render_invoice_pdf
from invoicing.bootstrap import bootstrap
from invoicing.domain.errors import InvoiceAlreadyPaid, InvoiceNotFound, NotAllowed
from invoicing.domain.invoices import InvoiceCategory, InvoiceStatus
from invoicing.domain.periods import LABEL, BillingPeriod
from invoicing.entrypoints import http_accounts, http_price_book, http_usage
from invoicing.entrypoints.dependencies import clock_of, is_operator
from invoicing.entrypoints.views import InvoiceSummary, InvoiceView
from invoicing.settings import InvoicingSettings
from invoicing.use_cases.close_period import close_period
from invoicing.use_cases.read_invoices import account_invoices, invoice_for_member
from invoicing.use_cases.void_invoice import void_invoice

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


class VoidRequest(BaseModel):
    reason: str | None = Field(default=None, min_length=1, max_length=500, description="Shown to the customer.")


@router.post("/billing-periods/close", response_model=ClosedPeriod)
async def close_billing_period(
    body: PeriodToClose, request: Request, clock: Annotated[Clock, Depends(clock_of)],
    _: Annotated[Caller, Depends(require_operator)],
) -> ClosedPeriod:
    """Finalize the period's invoices now (operators only); closing again finalizes nothing new."""
    period = BillingPeriod.parse(body.period)
    async with request.app.state.runtime.engine.begin() as tx:
        closing = await close_period(period.start, tx, clock)
    return ClosedPeriod(
        period=period.label,
        invoices_finalized=len(closing.finalized),
        not_invoiced=[AccountNotInvoiced(billing_account_id=a, reason=r) for a, r in closing.not_invoiced.items()],
    )


@router.get("/billing-accounts/{billing_account_id}/invoices", response_model=list[InvoiceSummary])
async def list_invoices(
    billing_account_id: str, request: Request, clock: Annotated[Clock, Depends(clock_of)],
    _: Annotated[Caller, Depends(require_member("viewer"))],
    status: InvoiceStatus | None = None, category: InvoiceCategory | None = None, project_id: str | None = None,
) -> list[InvoiceSummary]:
    """The account's invoices, newest first. `category`: action_required (payment_due, not_paid),
    upcoming (draft, payment_pending), history (paid, void). The open month's draft (one per
    project for accounts invoiced per project) is priced from the usage so far, numbered DRAFT,
    and readable by its id like any invoice. `project_id`: the invoices billing that project,
    each with the project's subtotal."""
    async with request.app.state.runtime.engine.connect() as connection:
        invoices = await account_invoices(connection, billing_account_id, status, category, project_id, clock)
    return [InvoiceSummary.of(invoice, subtotal) for invoice, subtotal in invoices]


@router.get("/invoices/{invoice_id}", response_model=InvoiceView)
async def get_invoice(
    invoice_id: str, request: Request, caller: CurrentCaller, clock: Annotated[Clock, Depends(clock_of)],
) -> InvoiceView:
    """The invoice with its lines; 404 unless the caller is a member of the invoice's account."""
    try:
        async with request.app.state.runtime.engine.connect() as connection:
            invoice = await invoice_for_member(connection, invoice_id, caller.email, clock=clock)
    except InvoiceNotFound as error:
        raise HTTPException(codes.HTTP_404_NOT_FOUND, str(error)) from None
    return InvoiceView.full(invoice)


@router.get("/invoices/{invoice_id}/pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}, "description": "The invoice as a PDF."}})
async def get_invoice_pdf(
    invoice_id: str, request: Request, caller: CurrentCaller, clock: Annotated[Clock, Depends(clock_of)],
) -> Response:
    """The invoice as a PDF (number, dates, lines, subtotals, total, status); members only."""
    try:
        async with request.app.state.runtime.engine.connect() as connection:
            invoice = await invoice_for_member(connection, invoice_id, caller.email, clock=clock)
    except InvoiceNotFound as error:
        raise HTTPException(codes.HTTP_404_NOT_FOUND, str(error)) from None
    headers = {"Content-Disposition": f'inline; filename="{invoice.number}.pdf"'}
    return Response(render_invoice_pdf(invoice), media_type="application/pdf", headers=headers)


@router.post("/invoices/{invoice_id}/void", response_model=InvoiceView)
async def void(
    invoice_id: str, request: Request, caller: CurrentCaller, clock: Annotated[Clock, Depends(clock_of)],
    body: VoidRequest | None = None,
) -> InvoiceView:
    """Void an unpaid invoice (an owner of its account, or an operator): 409 if it is paid,
    nothing changed; voiding a void invoice again answers it unchanged."""
    try:
        async with request.app.state.runtime.engine.begin() as tx:
            invoice = await void_invoice(invoice_id, tx, clock, email=caller.email, operator=is_operator(request, caller),
                                         reason=body.reason if body else None)
    except InvoiceNotFound as error:
        raise HTTPException(codes.HTTP_404_NOT_FOUND, str(error)) from None
    except NotAllowed as error:
        raise HTTPException(codes.HTTP_403_FORBIDDEN, str(error)) from None
    except InvoiceAlreadyPaid as error:
        raise HTTPException(codes.HTTP_409_CONFLICT, str(error)) from None
    return InvoiceView.full(invoice)


def create_app(settings: InvoicingSettings | None = None, clock: Clock | None = None) -> FastAPI:
    """The invoicing app; tests hand it a clock of their own."""
    clock = clock or SystemClock()
    runtime = bootstrap(settings or InvoicingSettings(), clock=clock)
    app = create_service_app(runtime, routers=[router, http_accounts.router, http_price_book.router, http_usage.router])
    app.state.clock = clock
    return app
