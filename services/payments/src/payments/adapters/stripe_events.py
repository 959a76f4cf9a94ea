"""Stripe's webhook events read into what payments acts on."""

from typing import Any

import stripe

from payments.adapters.stripe_gateway import outcome_of_payment_intent
from payments.domain.outcomes import ChargeFailure
from payments.domain.webhooks import PAYMENT_FAILED, SUCCEEDED, PaymentEvent


class MalformedEvent(ValueError):
    """A signed body that is not a Stripe event."""


def payment_event_of(body: Any) -> PaymentEvent:
    """The event's payment and its outcome; raises `MalformedEvent`."""
    if not isinstance(body, dict) or not isinstance(body.get("id"), str) or not isinstance(body.get("type"), str):
        raise MalformedEvent("A Stripe event has an id and a type.")
    event_type = body["type"]
    if event_type not in (SUCCEEDED, PAYMENT_FAILED):
        return PaymentEvent(body["id"], event_type, None, None, None, None)
    intent_fields = (body.get("data") or {}).get("object")
    if not isinstance(intent_fields, dict) or not isinstance(intent_fields.get("id"), str):
        raise MalformedEvent("A payment intent event carries the payment intent.")
    intent = stripe.PaymentIntent.construct_from(intent_fields, None)
    metadata = intent_fields.get("metadata") or {}
    outcome = outcome_of_payment_intent(intent)
    if event_type == PAYMENT_FAILED and not isinstance(outcome, ChargeFailure):  # failed, whatever it shows
        outcome = outcome_of_payment_intent(stripe.PaymentIntent.construct_from(
            {**intent_fields, "status": "requires_payment_method"}, None))
    return PaymentEvent(
        event_id=body["id"], event_type=event_type, payment_intent_id=intent.id,
        invoice_id=metadata.get("invoice_id"), idempotency_key=metadata.get("idempotency_key"), outcome=outcome,
    )
