"""Stripe's webhook signatures: `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256>`.

The HMAC is of `"<t>." + raw body` with the endpoint's secret. A signed timestamp further than
the tolerance from now is refused too, so a captured delivery cannot be replayed later.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from payments.domain.errors import WebhookRejected
from payments.domain.outcomes import ChargeOutcome

TOLERANCE = timedelta(seconds=300)
SUCCEEDED, PAYMENT_FAILED = "payment_intent.succeeded", "payment_intent.payment_failed"


def _signature(payload: bytes, secret: str, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()


def signature_header(payload: bytes, secret: str, at: datetime) -> str:
    """The header Stripe would send with `payload` at `at` (for tests and tools)."""
    timestamp = int(at.timestamp())
    return f"t={timestamp},v1={_signature(payload, secret, timestamp)}"


def verify_signature(payload: bytes, header: str | None, secret: str, now: datetime, tolerance: timedelta = TOLERANCE) -> None:
    """Raises `WebhookRejected` unless one `v1` signature of the header matches `payload`."""
    if not header:
        raise WebhookRejected("The Stripe-Signature header is missing.")
    pairs = [item.split("=", 1) for item in header.split(",") if "=" in item]
    timestamps = [value for key, value in pairs if key.strip() == "t"]
    signatures = [value for key, value in pairs if key.strip() == "v1"]
    if len(timestamps) != 1 or not timestamps[0].strip().isdigit() or not signatures:
        raise WebhookRejected("The Stripe-Signature header is malformed.")
    timestamp = int(timestamps[0])
    expected = _signature(payload, secret, timestamp)
    if not any(hmac.compare_digest(expected, signature.strip()) for signature in signatures):
        raise WebhookRejected("The webhook signature does not match.")
    if abs(now.timestamp() - timestamp) > tolerance.total_seconds():
        raise WebhookRejected("The webhook timestamp is outside the tolerance.")


@dataclass(frozen=True)
class PaymentEvent:
    """What a Stripe event says about one of our payments."""

    event_id: str
    event_type: str
    payment_intent_id: str | None
    invoice_id: str | None
    """From the payment's metadata, which every charge sets."""
    idempotency_key: str | None
    outcome: ChargeOutcome | None
    """None for event types payments does not act on."""
