"""HTTP routes of the payments service: input -> use case -> output."""

from typing import Annotated

from billing_runtime.access import require_member
from billing_runtime.auth import Caller
from billing_runtime.clock import Clock, SystemClock
from billing_runtime.service import ServiceRuntime, create_service_app
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, status
from pydantic import BaseModel, Field

from payments.bootstrap import bootstrap, stripe_gateway
from payments.domain.errors import CardRefused, PaymentMethodNotFound, PaymentProviderUnavailable
from payments.domain.payment_methods import PaymentMethod
from payments.domain.ports import PaymentGateway
from payments.settings import PaymentsSettings
from payments.use_cases.add_payment_method import add_payment_method
from payments.use_cases.list_payment_methods import list_payment_methods

router = APIRouter(prefix="/v1/billing-accounts/{billing_account_id}/payment-methods", tags=["payment methods"])

NOT_A_MEMBER = {404: {"description": "Not a member, or no such account"}}


class NewPaymentMethod(BaseModel):
    payment_method_id: str = Field(
        pattern=r"^pm_[A-Za-z0-9_]+$", max_length=128,
        description="The Stripe payment method the browser created (Stripe.js); never card data.",
        examples=["pm_1Nq8Jr2eZvKYlo2C"],
    )


class PaymentMethodOut(BaseModel):
    id: str = Field(examples=["pm_1Nq8Jr2eZvKYlo2C"])
    brand: str = Field(examples=["visa"])
    last4: str = Field(examples=["4242"])
    exp_month: int = Field(examples=[12])
    exp_year: int = Field(examples=[2031])
    is_primary: bool = Field(description="Whether invoices are charged to this card.")

    @classmethod
    def of(cls, method: PaymentMethod) -> "PaymentMethodOut":
        card = method.card
        return cls(id=method.id, brand=card.brand, last4=card.last4, exp_month=card.exp_month,
                   exp_year=card.exp_year, is_primary=method.is_primary)


def _runtime(request: Request) -> ServiceRuntime:
    return request.app.state.runtime


def _gateway(request: Request) -> PaymentGateway:
    return request.app.state.gateway


def _clock(request: Request) -> Clock:
    return request.app.state.clock


Runtime = Annotated[ServiceRuntime, Depends(_runtime)]


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=PaymentMethodOut,
    responses={**NOT_A_MEMBER, 402: {"description": "The card was refused"}, 503: {"description": "Stripe is unavailable"}},
)
async def add(
    billing_account_id: str,
    body: NewPaymentMethod,
    caller: Annotated[Caller, Depends(require_member("admin"))],
    runtime: Runtime,
    gateway: Annotated[PaymentGateway, Depends(_gateway)],
    clock: Annotated[Clock, Depends(_clock)],
) -> PaymentMethodOut:
    try:
        method = await add_payment_method(runtime.engine, gateway, clock, billing_account_id, body.payment_method_id)
    except CardRefused as error:
        raise HTTPException(status.HTTP_402_PAYMENT_REQUIRED, str(error)) from None
    except PaymentMethodNotFound as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None
    except PaymentProviderUnavailable as error:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(error)) from None
    return PaymentMethodOut.of(method)


@router.get("", response_model=list[PaymentMethodOut], responses=NOT_A_MEMBER)
async def list_all(
    billing_account_id: str, caller: Annotated[Caller, Depends(require_member("viewer"))], runtime: Runtime
) -> list[PaymentMethodOut]:
    async with runtime.engine.connect() as connection:
        methods = await list_payment_methods(connection, billing_account_id)
    return [PaymentMethodOut.of(method) for method in methods]


def payments_app(runtime: ServiceRuntime, gateway: PaymentGateway, clock: Clock) -> FastAPI:
    """The HTTP app around a runtime (tests hand in one without consumers or workers)."""
    app = create_service_app(runtime, routers=[router])
    app.state.gateway = gateway
    app.state.clock = clock
    return app


def create_app(
    settings: PaymentsSettings | None = None, *, gateway: PaymentGateway | None = None, clock: Clock | None = None
) -> FastAPI:
    """The payments app; tests may hand it a payment gateway and a clock."""
    settings = settings or PaymentsSettings()
    gateway = gateway or stripe_gateway(settings)
    clock = clock or SystemClock()
    return payments_app(bootstrap(settings, gateway=gateway, clock=clock), gateway, clock)
