"""Retries on schedule under a moved clock, a new primary card retried at once, and a charge the
customer must authenticate, against the real database and the Stripe emulator."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from billing_runtime.clock import FixedClock

from payments.adapters.charges import PostgresChargeLedger
from payments.adapters.stripe_gateway import StripeGateway
from payments.domain.retries import RetrySchedule
from payments.use_cases.collect_charge import collect_next_charge

pytestmark = pytest.mark.stack
GOOD_CARD, FAILS_WHEN_CHARGED, NEEDS_AUTHENTICATION = "4242424242424242", "4000000000000341", "4000002500003155"
SCHEDULE = RetrySchedule.of_hours()


async def worker_passes(engine, stripe_client, clock: FixedClock) -> int:
    """The charging worker's passes at the clock's time, until nothing is left to do then."""
    ledger, gateway, passes = PostgresChargeLedger(engine), StripeGateway(stripe_client), 0
    while await collect_next_charge(ledger, gateway, clock, clock.now() - timedelta(seconds=5), SCHEDULE):
        passes += 1
    return passes


async def test_retries_follow_the_schedule_and_stop_after_the_last(engine, account_with_card, finalize_invoice, stored, outbox, payment_intents, stripe_client):
    account = await account_with_card(FAILS_WHEN_CHARGED)
    invoice_id = await finalize_invoice(account, 4_100)
    clock = FixedClock(datetime.now(UTC) + timedelta(seconds=1))

    assert await worker_passes(engine, stripe_client, clock) == 1
    first_failed_at = (await stored.charge(invoice_id)).first_failed_at
    for hours in SCHEDULE.delays:
        clock.at = first_failed_at + hours - timedelta(minutes=1)
        assert await worker_passes(engine, stripe_client, clock) == 0, f"nothing before {hours}"
        clock.at = first_failed_at + hours
        assert await worker_passes(engine, stripe_client, clock) == 1, f"the retry at {hours}"
    clock.advance(timedelta(days=90))
    assert await worker_passes(engine, stripe_client, clock) == 0

    row = await stored.charge(invoice_id)
    assert (row.status, row.attempt, row.next_attempt_at) == ("failed", 7, None)
    failures = await outbox("charge.failed", account)
    assert [(f["attempt"], f["final"]) for f in failures] == [(n, n == 7) for n in range(1, 8)]
    expected = [(first_failed_at + delay).isoformat() for delay in SCHEDULE.delays] + [None]
    assert [f["next_retry_at"] and datetime.fromisoformat(f["next_retry_at"]).isoformat() for f in failures] == expected
    intents = await payment_intents(account)
    assert len(intents) == 7 and all(i.status == "requires_payment_method" for i in intents)
    assert sorted(i.metadata["attempt"] for i in intents) == [str(n) for n in range(1, 8)]


@pytest.mark.parametrize("how", ["added as primary", "made primary"])
async def test_a_new_primary_card_is_tried_at_once(how, http, auth, people, engine, account_with_card, browser_card, finalize_invoice, stored, outbox, stripe_client):
    account = await account_with_card(FAILS_WHEN_CHARGED)
    invoice_id = await finalize_invoice(account, 1_500)
    clock = FixedClock(datetime.now(UTC) + timedelta(seconds=1))
    await worker_passes(engine, stripe_client, clock)
    assert (await stored.charge(invoice_id)).status == "due"

    path, good = f"/v1/billing-accounts/{account}/payment-methods", browser_card(GOOD_CARD)
    if how == "added as primary":
        response = await http.post(path, json={"payment_method_id": good, "make_primary": True}, headers=auth(people.owner))
    else:
        assert (await http.post(path, json={"payment_method_id": good}, headers=auth(people.owner))).status_code == 201
        assert (await stored.charge(invoice_id)).next_attempt_at > datetime.now(UTC), "a spare card changes nothing"
        response = await http.post(f"{path}/{good}/primary", headers=auth(people.owner))
    assert response.status_code in (200, 201), response.text
    assert (await stored.charge(invoice_id)).next_attempt_at <= datetime.now(UTC)

    clock.at = datetime.now(UTC) + timedelta(seconds=1)  # minutes after the failure, not a day
    assert await worker_passes(engine, stripe_client, clock) == 1

    row = await stored.charge(invoice_id)
    assert (row.status, row.attempt, row.payment_method_id) == ("succeeded", 2, good)
    assert [e["attempt"] for e in await outbox("charge.succeeded", account)] == [2]


async def test_authentication_required_is_final_until_the_customer_completes_it(engine, account_with_card, finalize_invoice, stored, outbox, payment_intents, stripe_client, settings, webhook):
    account = await account_with_card(NEEDS_AUTHENTICATION)
    invoice_id = await finalize_invoice(account, 2_200)
    clock = FixedClock(datetime.now(UTC) + timedelta(seconds=1))
    await worker_passes(engine, stripe_client, clock)

    row = await stored.charge(invoice_id)
    assert (row.status, row.failure_kind, row.next_attempt_at) == ("failed", "authentication_required", None)
    (failure,) = await outbox("charge.failed", account)
    assert (failure["final"], failure["next_retry_at"], failure["failure_kind"]) == (True, None, "authentication_required")
    (intent,) = await payment_intents(account)
    assert (intent.id, intent.status) == (row.payment_intent_id, "requires_action")
    clock.advance(timedelta(days=30))
    assert await worker_passes(engine, stripe_client, clock) == 0, "not retried on its own"

    # The customer completes 3-D Secure (the emulator's stand-in), and Stripe says so by webhook.
    authenticated = httpx.post(
        f"{settings.stripe_endpoint}/v1/payment_intents/{intent.id}/_authenticate",
        params={"client_secret": intent.client_secret, "success": "true"},
        auth=(settings.stripe_api_key.get_secret_value(), ""),
    )
    assert authenticated.status_code == 200, authenticated.text
    succeeded = stripe_client.v1.payment_intents.retrieve(intent.id)
    assert succeeded.status == "succeeded"
    response = await webhook("payment_intent.succeeded", succeeded)

    assert response.status_code == 200 and response.json()["result"] == "changed"
    row = await stored.charge(invoice_id)
    assert (row.status, row.payment_intent_id) == ("succeeded", intent.id)
    (paid,) = await outbox("charge.succeeded", account)
    assert (paid["invoice_id"], paid["payment_intent_id"], paid["attempt"]) == (invoice_id, intent.id, 1)
