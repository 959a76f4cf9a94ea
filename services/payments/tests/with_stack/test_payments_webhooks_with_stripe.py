"""Stripe's webhooks: signed, applied once, never moving a paid charge backwards."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from billing_runtime.clock import FixedClock
from sqlalchemy import func, select

from payments.adapters.charges import PostgresChargeLedger
from payments.adapters.stripe_gateway import StripeGateway
from payments.adapters.tables import STRIPE_WEBHOOK_EVENTS
from payments.domain.retries import RetrySchedule
from payments.use_cases.collect_charge import collect_next_charge

pytestmark = pytest.mark.stack
FAILS_WHEN_CHARGED, NEEDS_AUTHENTICATION = "4000000000000341", "4000002500003155"
SCHEDULE = RetrySchedule.of_hours()


async def one_pass(engine, gateway) -> None:
    clock = FixedClock(datetime.now(UTC) + timedelta(seconds=1))
    await collect_next_charge(PostgresChargeLedger(engine), gateway, clock, clock.now() - timedelta(seconds=5), SCHEDULE)


@pytest.fixture
def authenticated_payment(engine, account_with_card, finalize_invoice, payment_intents, stripe_client, settings):
    """An invoice whose charge failed for authentication, then the customer authenticated: the
    PaymentIntent has succeeded at Stripe, and payments has not heard yet."""

    async def make():
        account = await account_with_card(NEEDS_AUTHENTICATION)
        invoice_id = await finalize_invoice(account, 3_300)
        await one_pass(engine, StripeGateway(stripe_client))
        (intent,) = await payment_intents(account)
        httpx.post(f"{settings.stripe_endpoint}/v1/payment_intents/{intent.id}/_authenticate",
                   params={"client_secret": intent.client_secret, "success": "true"},
                   auth=(settings.stripe_api_key.get_secret_value(), "")).raise_for_status()
        return account, invoice_id, stripe_client.v1.payment_intents.retrieve(intent.id)

    return make


async def logged_events(engine, event_id: str) -> int:
    async with engine.connect() as connection:
        return await connection.scalar(select(func.count()).where(STRIPE_WEBHOOK_EVENTS.c.event_id == event_id))


@pytest.mark.parametrize(
    "forgery", ["wrong secret", "signed 301 s ago", "no signature"],
)
async def test_a_bad_signature_or_an_old_timestamp_gets_400_and_changes_nothing(forgery, engine, http, authenticated_payment, webhook, stored, outbox):
    account, invoice_id, intent = await authenticated_payment()
    event_id = "evt_forged_" + invoice_id
    if forgery == "wrong secret":
        response = await webhook("payment_intent.succeeded", intent, event_id, secret="whsec_someone_else")
    elif forgery == "signed 301 s ago":
        response = await webhook("payment_intent.succeeded", intent, event_id, signed_at=datetime.now(UTC) - timedelta(seconds=301))
    else:
        response = await http.post("/v1/stripe/webhooks", json={"id": event_id, "type": "payment_intent.succeeded",
                                                                "data": {"object": intent.to_dict()}})

    assert response.status_code == 400
    assert (await stored.charge(invoice_id)).status == "failed"
    assert await outbox("charge.succeeded", account) == []
    assert await logged_events(engine, event_id) == 0, "not even logged: the real delivery must still apply"

    honest = await webhook("payment_intent.succeeded", intent, event_id)
    assert honest.status_code == 200 and (await stored.charge(invoice_id)).status == "succeeded"


async def test_the_same_event_delivered_five_times_changes_state_once(engine, authenticated_payment, webhook, stored, outbox):
    account, invoice_id, intent = await authenticated_payment()
    event_id = "evt_repeated_" + invoice_id

    results = [(await webhook("payment_intent.succeeded", intent, event_id)).json()["result"] for _ in range(5)]

    assert results == ["changed"] + ["duplicate"] * 4
    assert (await stored.charge(invoice_id)).status == "succeeded"
    assert len(await outbox("charge.succeeded", account)) == 1
    assert await logged_events(engine, event_id) == 1


async def test_a_paid_charge_never_moves_backwards(authenticated_payment, webhook, stored, outbox):
    account, invoice_id, intent = await authenticated_payment()
    assert (await webhook("payment_intent.succeeded", intent)).json()["result"] == "changed"
    failed_intent = {**intent.to_dict(), "status": "requires_payment_method",
                     "last_payment_error": {"code": "card_declined", "decline_code": "generic_decline"}}

    late_failure = await webhook("payment_intent.payment_failed", failed_intent)
    another_success = await webhook("payment_intent.succeeded", intent)

    assert late_failure.json()["result"] == another_success.json()["result"] == "nothing_to_do"
    row = await stored.charge(invoice_id)
    assert (row.status, row.payment_intent_id) == ("succeeded", intent.id)
    assert len(await outbox("charge.succeeded", account)) == 1
    assert len(await outbox("charge.failed", account)) == 1, "only the authentication failure"


class AnswerLost(StripeGateway):
    """Stripe took the attempt; its answer never reached payments."""

    async def charge(self, *args, **kwargs):
        await super().charge(*args, **kwargs)
        raise ConnectionResetError("the answer was lost")


async def test_a_failure_reported_by_webhook_settles_the_attempt_in_flight(engine, account_with_card, finalize_invoice, payment_intents, stripe_client, webhook, stored, outbox):
    account = await account_with_card(FAILS_WHEN_CHARGED)
    invoice_id = await finalize_invoice(account, 1_200)
    with pytest.raises(ConnectionResetError):
        await one_pass(engine, AnswerLost(stripe_client))
    assert (await stored.charge(invoice_id)).status == "in_flight"
    (intent,) = await payment_intents(account)

    response = await webhook("payment_intent.payment_failed", intent)

    assert response.json()["result"] == "changed"
    row = await stored.charge(invoice_id)
    assert (row.status, row.failure_kind, row.attempt) == ("due", "declined", 1), "a retry is scheduled"
    (failure,) = await outbox("charge.failed", account)
    assert (failure["attempt"], failure["final"]) == (1, False)


async def test_a_signed_body_that_is_not_an_event_gets_400(http, webhook):
    assert (await webhook("payment_intent.succeeded", {"no": "id"})).status_code == 400
    other = await webhook("customer.created", {"id": "cus_1"})
    assert other.status_code == 200 and other.json()["result"] == "nothing_to_do"
