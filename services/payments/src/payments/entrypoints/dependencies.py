"""What the routes take from the app: its runtime, payment gateway, clock and retry schedule."""

from typing import Annotated

from billing_runtime.clock import Clock
from billing_runtime.service import ServiceRuntime
from fastapi import Depends, Request

from payments.domain.ports import PaymentGateway
from payments.domain.retries import RetrySchedule


def _runtime(request: Request) -> ServiceRuntime:
    return request.app.state.runtime


def _gateway(request: Request) -> PaymentGateway:
    return request.app.state.gateway


def _clock(request: Request) -> Clock:
    return request.app.state.clock


def _schedule(request: Request) -> RetrySchedule:
    return request.app.state.runtime.settings.retry_schedule


Runtime = Annotated[ServiceRuntime, Depends(_runtime)]
Gateway = Annotated[PaymentGateway, Depends(_gateway)]
AppClock = Annotated[Clock, Depends(_clock)]
Schedule = Annotated[RetrySchedule, Depends(_schedule)]

NOT_A_MEMBER = {404: {"description": "Not a member, or no such account"}}
