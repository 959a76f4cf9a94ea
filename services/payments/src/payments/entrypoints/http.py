"""The payments HTTP app: cards on file, paying invoices by hand, and Stripe's webhooks."""

from billing_runtime.clock import Clock, SystemClock
from billing_runtime.service import ServiceRuntime, create_service_app
from fastapi import FastAPI

from payments.bootstrap import bootstrap, stripe_gateway
from payments.domain.ports import PaymentGateway
from payments.entrypoints import http_cards, http_invoice_payments, http_webhooks
from payments.settings import PaymentsSettings


def payments_app(runtime: ServiceRuntime, gateway: PaymentGateway, clock: Clock) -> FastAPI:
    """The HTTP app around a runtime (tests hand in one without consumers or workers)."""
    app = create_service_app(runtime, routers=[http_cards.router, http_invoice_payments.router, http_webhooks.router])
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
