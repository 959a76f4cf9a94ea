"""Stripe's webhook signature scheme and the card expiry flag: pure rules."""

from datetime import UTC, datetime, timedelta

import pytest
import stripe

from payments.domain.errors import WebhookRejected
from payments.domain.payment_methods import CardDetails, expires_before_next_billing, next_billing_date
from payments.domain.webhooks import signature_header, verify_signature

SECRET, NOW = "whsec_test", datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
BODY = b'{"id": "evt_1", "type": "payment_intent.succeeded"}'


def test_a_body_signed_now_with_the_secret_passes():
    verify_signature(BODY, signature_header(BODY, SECRET, NOW), SECRET, NOW)
    verify_signature(BODY, signature_header(BODY, SECRET, NOW - timedelta(seconds=299)), SECRET, NOW)


def test_the_scheme_is_stripes():
    """The SDK's own verifier accepts our header: the same scheme, not a look-alike."""
    header = signature_header(BODY, SECRET, datetime.now(UTC))
    assert stripe.WebhookSignature.verify_header(BODY.decode(), header, SECRET, tolerance=300)


@pytest.mark.parametrize(
    "header",
    [
        None, "", "garbage", "t=abc,v1=00",
        signature_header(BODY, "whsec_other", NOW),
        signature_header(BODY, SECRET, NOW - timedelta(seconds=301)),
        signature_header(BODY, SECRET, NOW + timedelta(seconds=301)),
        signature_header(BODY + b" ", SECRET, NOW),
    ],
    ids=["missing", "empty", "garbage", "bad-timestamp", "other-secret", "too-old", "from-the-future", "other-body"],
)
def test_anything_else_is_rejected(header):
    with pytest.raises(WebhookRejected):
        verify_signature(BODY, header, SECRET, NOW)


def test_next_billing_is_the_first_of_next_month():
    assert next_billing_date(NOW) == datetime(2026, 6, 1, tzinfo=UTC)
    assert next_billing_date(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == datetime(2027, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("exp_month", "exp_year", "flagged"),
    [(4, 2026, True), (5, 2026, True), (6, 2026, False), (12, 2025, True), (1, 2027, False)],
)
def test_a_card_expiring_before_the_next_billing_date_is_flagged(exp_month, exp_year, flagged):
    assert expires_before_next_billing(CardDetails("visa", "4242", exp_month, exp_year), NOW) is flagged
