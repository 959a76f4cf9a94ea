"""Usage over HTTP for producers that cannot speak Kafka (they publish to `usage.recorded` otherwise)."""

from typing import Annotated, Any
from uuid import UUID

from billing_runtime.auth import CurrentCaller
from billing_runtime.clock import Clock
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi import status as codes
from pydantic import BaseModel, Field

from invoicing.entrypoints.dependencies import clock_of, is_usage_producer
from invoicing.use_cases.accept_usage import MAX_BATCH, accept_usage

router = APIRouter(prefix="/v1", tags=["usage"])


class UsageBatch(BaseModel):
    events: list[dict[str, Any]] = Field(
        max_length=MAX_BATCH,
        description="Up to 1,000 `usage.recorded` v1 data objects, each with an optional `event_id` (UUID, the dedup key).",
        examples=[[{"event_id": "6f1c1b5e-6a43-4d47-9d9b-0b7f3f3e6c11", "billing_account_id": "ba_1", "project_id": "prj_1",
                    "meter": "compute.vcpu_hours", "quantity": "12.5", "occurred_at": "2026-05-01T12:00:00Z"}]],
    )


class Accepted(BaseModel):
    index: int
    event_id: UUID


class Rejected(BaseModel):
    index: int
    field: str = Field(description="The field at fault, for example `quantity` or `meter`.")
    message: str


class UsageReceipt(BaseModel):
    accepted: list[Accepted]
    rejected: list[Rejected]


@router.post("/usage", response_model=UsageReceipt, status_code=codes.HTTP_202_ACCEPTED)
async def post_usage(body: UsageBatch, request: Request, caller: CurrentCaller,
                     clock: Annotated[Clock, Depends(clock_of)]) -> UsageReceipt:
    """Usage producers only (INVOICING_USAGE_PRODUCER_EMAILS): the valid events are published to
    `usage.recorded` together, the others are answered by index with the field at fault."""
    if not is_usage_producer(request, caller):
        raise HTTPException(codes.HTTP_403_FORBIDDEN, "only usage producers may post usage")
    window = request.app.state.runtime.settings.usage_window()
    async with request.app.state.runtime.engine.begin() as tx:
        receipt = await accept_usage(body.events, tx, clock, window)
    return UsageReceipt(accepted=[Accepted(index=i, event_id=e) for i, e in receipt.accepted],
                        rejected=[Rejected(**vars(r)) for r in receipt.rejected])
