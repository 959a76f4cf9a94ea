"""Paying an outstanding invoice by hand: `POST /v1/invoices/{invoice_id}/payments`."""

from typing import Annotated

from billing_runtime.access import ROLE_RANK, role_of
from billing_runtime.auth import Caller, current_caller
from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from payments.adapters import charge_rows
from payments.adapters.charges import PostgresChargeLedger
from payments.domain.charges import ChargeFailure, ChargeSucceeded
from payments.domain.errors import (
    CardRefused, ChargeNotFound, InvoiceNotPayable, PaymentInProgress, PaymentMethodNotFound, PaymentProviderUnavailable,
)
from payments.entrypoints.dependencies import AppClock, Gateway, Runtime, Schedule
from payments.entrypoints.http_cards import PAYMENT_METHOD_ID
from payments.use_cases.pay_invoice import pay_invoice

router = APIRouter(prefix="/v1/invoices/{invoice_id}", tags=["invoice payments"])


class Payment(BaseModel):
    payment_method_id: str | None = Field(
        default=None, pattern=PAYMENT_METHOD_ID, max_length=128,
        description="A card on file of the invoice's account, or a new Stripe payment method to put on file first;"
                    " the primary card when left out.",
    )


class PaymentOut(BaseModel):
    status: str = Field(description="paid, failed or processing", examples=["paid"])
    invoice_id: str
    attempt: int
    amount: int
    currency: str
    payment_intent_id: str | None = None
    failure_kind: str | None = None
    message: str | None = Field(default=None, description="Why not, in words the customer may read.")


async def _admin_of_invoice(invoice_id: str, runtime: Runtime, caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
    """Admins and owners of the invoice's account pay it; anyone else is told it does not exist."""
    async with runtime.engine.connect() as connection:
        account = await charge_rows.account_of_invoice(connection, invoice_id)
        role = None if account is None else await role_of(connection, account, caller.email)
    if role is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"invoice {invoice_id} not found")
    if ROLE_RANK[role] < ROLE_RANK["admin"]:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs the admin role on the account; you are {role}")
    return caller


ERRORS = {ChargeNotFound: 404, InvoiceNotPayable: 409, PaymentInProgress: 409, PaymentMethodNotFound: 422,
          CardRefused: 402, PaymentProviderUnavailable: 503}


@router.post(
    "/payments", response_model=PaymentOut,
    responses={402: {"description": "Refused: the failure kind and what to do"}, 404: {"description": "No such invoice"},
               409: {"description": "Paid, voided, or a payment in progress: nothing charged"},
               202: {"description": "Stripe's answer is awaited; the outcome follows as an event"}},
)
async def pay(
    invoice_id: str, body: Payment, caller: Annotated[Caller, Depends(_admin_of_invoice)],
    runtime: Runtime, gateway: Gateway, clock: AppClock, schedule: Schedule,
) -> JSONResponse:
    ledger = PostgresChargeLedger(runtime.engine)
    try:
        charge, outcome = await pay_invoice(runtime.engine, ledger, gateway, clock, schedule, invoice_id, body.payment_method_id)
    except tuple(ERRORS) as error:
        raise HTTPException(ERRORS[type(error)], str(error)) from None
    answer = PaymentOut(status="processing", invoice_id=invoice_id, attempt=charge.attempt, amount=charge.amount,
                        currency=charge.currency)
    code = status.HTTP_202_ACCEPTED
    if isinstance(outcome, ChargeSucceeded):
        answer.status, answer.payment_intent_id, code = "paid", outcome.payment_intent_id, status.HTTP_200_OK
    elif isinstance(outcome, ChargeFailure):
        answer.status, answer.failure_kind, answer.message = "failed", outcome.kind.value, outcome.customer_message
        code = status.HTTP_402_PAYMENT_REQUIRED
    return JSONResponse(answer.model_dump(), status_code=code)
