"""HTTP routes of the notifications service."""

from datetime import datetime

from billing_runtime.access import require_member
from billing_runtime.clock import SystemClock
from billing_runtime.service import create_service_app
from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict

from notifications.bootstrap import bootstrap
from notifications.domain.errors import PreferenceRefused
from notifications.settings import NotificationsSettings
from notifications.use_cases.list_notifications import list_notifications
from notifications.use_cases.set_notification_preferences import (
    notification_preferences, set_notification_preferences,
)

router = APIRouter(prefix="/v1", tags=["notifications"])
NOT_A_MEMBER = {404: {"description": "No such billing account, or the caller is not a member of it"}}


class Notification(BaseModel):
    kind: str
    """action_required, authentication_required, final_notice, receipt or invoice_available."""
    recipient: str
    """Empty for an entry of an email that had nobody to go to (see `reason`)."""
    subject: str
    status: str
    """pending (not sent yet, or waiting to try again), sent, or failed (given up)."""
    reason: str | None
    """Why a failed email was not sent."""
    created_at: datetime
    sent_at: datetime | None


class NotificationLog(BaseModel):
    billing_account_id: str
    notifications: list[Notification]
    """Newest first."""


class Preferences(BaseModel):
    """The optional emails; emails about a payment that needs action always go out."""

    receipts: bool
    invoice_available: bool


class PreferencesChange(BaseModel):
    """The preferences to change; those not given stay as they are."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": False})
    receipts: bool | None = None
    invoice_available: bool | None = None


@router.get("/billing-accounts/{billing_account_id}/notifications", response_model=NotificationLog,
            dependencies=[Depends(require_member("viewer"))], responses=NOT_A_MEMBER)
async def account_notifications(
    billing_account_id: str, request: Request, limit: int = Query(50, ge=1, le=500)
) -> NotificationLog:
    """The emails sent (or being sent) about the billing account, newest first."""
    entries = await list_notifications(request.app.state.runtime.engine, billing_account_id, limit)
    return NotificationLog(billing_account_id=billing_account_id, notifications=[
        Notification(kind=e.kind, recipient=e.recipient, subject=e.subject, status=e.status, created_at=e.created_at,
                     sent_at=e.sent_at, reason=e.last_error if e.status == "failed" else None)
        for e in entries
    ])


@router.get("/billing-accounts/{billing_account_id}/notification-preferences", response_model=Preferences,
            dependencies=[Depends(require_member("viewer"))], responses=NOT_A_MEMBER)
async def get_notification_preferences(billing_account_id: str, request: Request) -> Preferences:
    runtime = request.app.state.runtime
    current = await notification_preferences(runtime.engine, billing_account_id, runtime.settings.default_preferences())
    return Preferences(receipts=current.receipts, invoice_available=current.invoice_available)


@router.put(
    "/billing-accounts/{billing_account_id}/notification-preferences", response_model=Preferences,
    dependencies=[Depends(require_member("admin"))],
    responses={**NOT_A_MEMBER, 403: {"description": "The caller is not an admin or owner of the account"},
               422: {"description": "A preference that does not exist, or one for action-required emails"}},
)
async def put_notification_preferences(
    billing_account_id: str, request: Request, change: PreferencesChange = Body(...)
) -> Preferences:
    """Turn receipts and "invoice available" emails on or off; action-required ones cannot be."""
    runtime = request.app.state.runtime
    requested = change.model_dump(exclude_unset=True)
    try:
        updated = await set_notification_preferences(
            runtime.engine, billing_account_id, requested, runtime.settings.default_preferences(), SystemClock())
    except PreferenceRefused as error:
        raise HTTPException(422, str(error)) from None
    return Preferences(receipts=updated.receipts, invoice_available=updated.invoice_available)


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    return create_service_app(bootstrap(settings or NotificationsSettings()), routers=[router])
