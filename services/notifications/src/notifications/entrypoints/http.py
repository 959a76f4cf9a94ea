"""HTTP routes of the notifications service."""

from datetime import datetime

from billing_runtime.access import require_member
from billing_runtime.service import create_service_app
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from pydantic import BaseModel

from notifications.bootstrap import bootstrap
from notifications.settings import NotificationsSettings
from notifications.use_cases.list_notifications import list_notifications

router = APIRouter(prefix="/v1", tags=["notifications"])


class Notification(BaseModel):
    kind: str
    recipient: str
    subject: str
    status: str
    """pending (not sent yet, or waiting to try again), sent, or failed (given up)."""
    created_at: datetime
    sent_at: datetime | None


class NotificationLog(BaseModel):
    billing_account_id: str
    notifications: list[Notification]
    """Newest first."""


@router.get(
    "/billing-accounts/{billing_account_id}/notifications",
    response_model=NotificationLog,
    dependencies=[Depends(require_member("viewer"))],
    responses={404: {"description": "No such billing account, or the caller is not a member of it"}},
)
async def account_notifications(
    billing_account_id: str, request: Request, limit: int = Query(50, ge=1, le=500)
) -> NotificationLog:
    """The emails sent (or being sent) about the billing account, newest first."""
    entries = await list_notifications(request.app.state.runtime.engine, billing_account_id, limit)
    return NotificationLog(
        billing_account_id=billing_account_id,
        notifications=[Notification.model_validate(entry, from_attributes=True) for entry in entries],
    )


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    return create_service_app(bootstrap(settings or NotificationsSettings()), routers=[router])
