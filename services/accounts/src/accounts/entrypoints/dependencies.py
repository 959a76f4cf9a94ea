"""What routes are handed: the runtime (engine), the clock and the account id generator."""

from typing import Annotated

from billing_runtime.clock import Clock
from billing_runtime.service import ServiceRuntime
from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict

from accounts.domain.ids import AccountIds


class RequestBody(BaseModel):
    """Base of request bodies: a field the caller may not set is refused (422), never ignored."""

    model_config = ConfigDict(extra="forbid")


def _runtime(request: Request) -> ServiceRuntime:
    return request.app.state.runtime


def _clock(request: Request) -> Clock:
    return request.app.state.clock


def _account_ids(request: Request) -> AccountIds:
    return request.app.state.account_ids


Runtime = Annotated[ServiceRuntime, Depends(_runtime)]
ClockDep = Annotated[Clock, Depends(_clock)]
AccountIdsDep = Annotated[AccountIds, Depends(_account_ids)]
