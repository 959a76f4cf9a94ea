"""Routes of an account's cards on file: set up, add, list, make primary, remove."""

from typing import Annotated

from billing_runtime.access import require_member
from billing_runtime.auth import Caller
from billing_runtime.clock import Clock
from fastapi import APIRouter, Depends, HTTPException, Response, status
from pydantic import BaseModel, Field

from payments.domain.errors import CardRefused, PaymentMethodIsPrimary, PaymentMethodNotFound, PaymentProviderUnavailable
from payments.domain.payment_methods import PaymentMethod, expires_before_next_billing
from payments.entrypoints.dependencies import NOT_A_MEMBER, AppClock, Gateway, Runtime
from payments.use_cases.add_payment_method import add_payment_method
from payments.use_cases.create_card_setup import create_card_setup
from payments.use_cases.list_payment_methods import list_payment_methods
from payments.use_cases.make_payment_method_primary import make_payment_method_primary
from payments.use_cases.remove_payment_method import remove_payment_method

router = APIRouter(prefix="/v1/billing-accounts/{billing_account_id}", tags=["payment methods"])
Admin = Annotated[Caller, Depends(require_member("admin"))]
Viewer = Annotated[Caller, Depends(require_member("viewer"))]
PAYMENT_METHOD_ID = r"^pm_[A-Za-z0-9_]+$"
UNAVAILABLE = {503: {"description": "Stripe is unavailable; nothing changed"}}


class NewPaymentMethod(BaseModel):
    payment_method_id: str = Field(
        pattern=PAYMENT_METHOD_ID, max_length=128,
        description="The Stripe payment method the browser created (Stripe.js); never card data.",
        examples=["pm_1Nq8Jr2eZvKYlo2C"],
    )
    make_primary: bool = Field(default=False, description="Charge invoices to this card from now on.")


class PaymentMethodOut(BaseModel):
    id: str = Field(examples=["pm_1Nq8Jr2eZvKYlo2C"])
    brand: str = Field(examples=["visa"])
    last4: str = Field(examples=["4242"])
    exp_month: int = Field(examples=[12])
    exp_year: int = Field(examples=[2031])
    is_primary: bool = Field(description="Whether invoices are charged to this card.")
    expires_before_next_billing: bool = Field(description="The card expires before the first day of next month.")

    @classmethod
    def of(cls, method: PaymentMethod, clock: Clock) -> "PaymentMethodOut":
        card = method.card
        return cls(id=method.id, brand=card.brand, last4=card.last4, exp_month=card.exp_month,
                   exp_year=card.exp_year, is_primary=method.is_primary,
                   expires_before_next_billing=expires_before_next_billing(card, clock.now()))


class CardSetupOut(BaseModel):
    id: str = Field(description="The Stripe SetupIntent.", examples=["seti_1Nq8Jr2eZvKYlo2C"])
    client_secret: str = Field(description="For Stripe.js to confirm the SetupIntent in the browser.")


def _refusal(error: Exception) -> HTTPException:
    codes = {CardRefused: 402, PaymentMethodNotFound: 404, PaymentMethodIsPrimary: 409, PaymentProviderUnavailable: 503}
    return HTTPException(codes[type(error)], str(error))


@router.post("/setup-intents", status_code=201, response_model=CardSetupOut, responses={**NOT_A_MEMBER, **UNAVAILABLE})
async def set_up_card(billing_account_id: str, caller: Admin, runtime: Runtime, gateway: Gateway) -> CardSetupOut:
    try:
        setup = await create_card_setup(runtime.engine, gateway, billing_account_id)
    except PaymentProviderUnavailable as error:
        raise _refusal(error) from None
    return CardSetupOut(id=setup.id, client_secret=setup.client_secret)


@router.post(
    "/payment-methods", status_code=status.HTTP_201_CREATED, response_model=PaymentMethodOut,
    responses={**NOT_A_MEMBER, 402: {"description": "The card was refused"}, 422: {"description": "No such card"},
               **UNAVAILABLE},
)
async def add(
    billing_account_id: str, body: NewPaymentMethod, caller: Admin, runtime: Runtime, gateway: Gateway, clock: AppClock,
) -> PaymentMethodOut:
    try:
        method = await add_payment_method(
            runtime.engine, gateway, clock, billing_account_id, body.payment_method_id, body.make_primary)
    except PaymentMethodNotFound as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None
    except (CardRefused, PaymentProviderUnavailable) as error:
        raise _refusal(error) from None
    return PaymentMethodOut.of(method, clock)


@router.get("/payment-methods", response_model=list[PaymentMethodOut], responses=NOT_A_MEMBER)
async def list_all(billing_account_id: str, caller: Viewer, runtime: Runtime, clock: AppClock) -> list[PaymentMethodOut]:
    async with runtime.engine.connect() as connection:
        methods = await list_payment_methods(connection, billing_account_id)
    return [PaymentMethodOut.of(method, clock) for method in methods]


@router.post("/payment-methods/{payment_method_id}/primary", response_model=PaymentMethodOut, responses=NOT_A_MEMBER)
async def make_primary(
    billing_account_id: str, payment_method_id: str, caller: Admin, runtime: Runtime, clock: AppClock,
) -> PaymentMethodOut:
    try:
        method = await make_payment_method_primary(runtime.engine, clock, billing_account_id, payment_method_id)
    except PaymentMethodNotFound as error:
        raise _refusal(error) from None
    return PaymentMethodOut.of(method, clock)


@router.delete(
    "/payment-methods/{payment_method_id}", status_code=204,
    responses={**NOT_A_MEMBER, 409: {"description": "The primary card; make another primary first"}, **UNAVAILABLE},
)
async def remove(
    billing_account_id: str, payment_method_id: str, caller: Admin, runtime: Runtime, gateway: Gateway, clock: AppClock,
) -> Response:
    try:
        await remove_payment_method(runtime.engine, gateway, clock, billing_account_id, payment_method_id)
    except (PaymentMethodNotFound, PaymentMethodIsPrimary, PaymentProviderUnavailable) as error:
        raise _refusal(error) from None
    return Response(status_code=204)
