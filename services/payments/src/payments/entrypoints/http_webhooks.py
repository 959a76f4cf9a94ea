"""Stripe's webhooks: `POST /v1/stripe/webhooks`, signed with `STRIPE_WEBHOOK_SECRET`."""

import json

from fastapi import APIRouter, HTTPException, Request, status

from payments.adapters.stripe_events import MalformedEvent, payment_event_of
from payments.domain.errors import WebhookRejected
from payments.domain.webhooks import verify_signature
from payments.entrypoints.dependencies import AppClock, Runtime, Schedule
from payments.use_cases.apply_payment_event import apply_payment_event

router = APIRouter(prefix="/v1/stripe", tags=["stripe"])


@router.post("/webhooks", responses={400: {"description": "Bad signature, old timestamp or not an event: nothing changed"}})
async def receive(request: Request, runtime: Runtime, clock: AppClock, schedule: Schedule) -> dict[str, str]:
    """Verify the raw body against the `Stripe-Signature` header (300 s tolerance), then apply
    the event once (by its id): `payment_intent.succeeded` and `payment_intent.payment_failed`."""
    body = await request.body()
    secret = runtime.settings.stripe_webhook_secret.get_secret_value()
    try:
        verify_signature(body, request.headers.get("stripe-signature"), secret, clock.now())
        event = payment_event_of(json.loads(body))
    except (WebhookRejected, MalformedEvent, ValueError) as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error) or "not a Stripe event") from None
    applied = await apply_payment_event(runtime.engine, clock, schedule, event)
    return {"received": event.event_id, "result": applied.value}
