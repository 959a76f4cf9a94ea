"""Composition root of the payments service: nothing connects until the app starts."""

from functools import partial
from pathlib import Path

from billing_runtime.clock import Clock, SystemClock
from billing_runtime.service import ServiceRuntime, build_runtime
from billing_runtime.stripe_client import create_stripe_client

from payments.adapters.charges import PostgresChargeLedger
from payments.adapters.stripe_gateway import StripeGateway
from payments.domain.ports import PaymentGateway
from payments.entrypoints import stream
from payments.entrypoints.charging import charging_worker
from payments.settings import PaymentsSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def stripe_gateway(settings: PaymentsSettings) -> PaymentGateway:
    return StripeGateway(create_stripe_client(settings))


def bootstrap(
    settings: PaymentsSettings, *, gateway: PaymentGateway | None = None, clock: Clock | None = None
) -> ServiceRuntime:
    """The runtime with the event handlers and the charging worker; tests may hand in a gateway and a clock."""
    clock = clock or SystemClock()
    gateway = gateway or stripe_gateway(settings)
    runtime = build_runtime(settings, MIGRATIONS, partial(stream.subscribe, clock=clock))
    runtime.workers.append(
        charging_worker(PostgresChargeLedger(runtime.engine), gateway, clock, settings.retry_schedule)
    )
    return runtime
