"""What routes take from the app: its clock, and who counts as an operator or a usage producer."""

from billing_runtime.auth import Caller
from billing_runtime.clock import Clock
from fastapi import Request


def clock_of(request: Request) -> Clock:
    return request.app.state.clock


def is_operator(request: Request, caller: Caller) -> bool:
    return caller.email in {e.lower() for e in request.app.state.runtime.settings.operator_emails}


def is_usage_producer(request: Request, caller: Caller) -> bool:
    return caller.email in {e.lower() for e in request.app.state.runtime.settings.invoicing_usage_producer_emails}
