"""One trace id follows a request and an event across Kafka hops, in the envelopes' traceparent."""

import uuid
from datetime import UTC, datetime

from accounts.bootstrap import MIGRATIONS as ACCOUNTS_MIGRATIONS
from accounts.entrypoints.http import create_app as accounts_app
from accounts.settings import AccountsSettings
from billing_contracts import ChargeFailedV1, InvoicePaymentDueV1, new_envelope, parse_event
from billing_runtime.auth import development_token
from billing_runtime.messaging.consumer import IdempotentConsumer
from billing_runtime.messaging.dead_letters import DeadLetters, Delivery
from billing_runtime.messaging.outbox import publish_events
from billing_runtime.messaging.producer import Producer
from billing_runtime.migrations import upgrade
from billing_runtime.observability.logs import trace_id_of
from devstack.postgres import scratch_database
from fastapi.testclient import TestClient
from billing_runtime.messaging.tables import install
from sqlalchemy import create_engine, text
from sqlalchemy.ext.asyncio import create_async_engine

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = f"00-{TRACE}-00f067aa0ba902b7-01"


def test_a_request_trace_continues_into_the_events_it_publishes(stack):
    with scratch_database(stack.postgres_url, "trace_accounts") as url:
        upgrade(ACCOUNTS_MIGRATIONS, url)
        app = accounts_app(AccountsSettings(database_url=url, service_role="http"))
        with TestClient(app) as client:
            token = development_token("tracer@example.com", app.state.runtime.settings)
            answer = client.post("/v1/billing-accounts", json={"name": "Traced", "currency": "EUR", "billing_email": "t@example.com"},
                                 headers={"Authorization": f"Bearer {token}", "traceparent": CALLER_SPAN})
        with create_engine(url).connect() as connection:
            payload = connection.execute(text("SELECT payload FROM outbox")).scalar_one()
    assert answer.status_code == 201
    assert trace_id_of(answer.headers["traceparent"]) == TRACE
    snapshot = parse_event(payload)
    assert trace_id_of(snapshot.traceparent) == TRACE
    assert snapshot.traceparent != CALLER_SPAN, "a child span of the caller's, not the caller's own"


async def test_an_event_handled_passes_its_trace_to_the_events_it_causes(stack):
    failed = new_envelope(ChargeFailedV1(
        billing_account_id="ba_traced", invoice_id="inv_traced", invoice_number="INV-2026-11-000009", attempt=1,
        amount=1234, currency="USD", failure_kind="declined", customer_message="Your card was declined.",
        next_retry_at=None, final=True, failed_at=datetime.now(UTC)), source="/billing/payments", traceparent=CALLER_SPAN)

    async def mark_payment_due(events, transaction) -> None:
        (event,) = events
        await publish_events(transaction, [new_envelope(InvoicePaymentDueV1(
            billing_account_id=event.subject, invoice_id=event.data.invoice_id, invoice_number=event.data.invoice_number,
            amount=event.data.amount, currency=event.data.currency, due_at=datetime.now(UTC)), source="/billing/invoicing")])

    producer = Producer(stack.kafka_bootstrap_servers, "trace-test")
    with scratch_database(stack.postgres_url, "trace_kit") as url:
        engine = create_async_engine(url)
        async with engine.begin() as connection:
            await connection.run_sync(install)
        await producer.start()
        try:
            consumer = IdempotentConsumer(f"trace-test.{uuid.uuid4().hex[:6]}", engine, DeadLetters(producer, "trace-test"))
            await consumer.consume([Delivery("charge.failed", 0, 0, b"ba_traced", failed.to_bytes())], mark_payment_due)
            async with engine.connect() as connection:
                payload = (await connection.execute(text("SELECT payload FROM outbox WHERE topic = 'invoice.payment_due'"))).scalar_one()
        finally:
            await producer.stop()
            await engine.dispose()
    assert trace_id_of(parse_event(payload).traceparent) == TRACE
