"""One trace id followed from `usage.recorded` to `invoice.finalized` and on into payments (its
charge, and `charge.failed` back to invoicing), as a collector sees it: invoicing and payments run as processes of their own against the real Kafka
and PostgreSQL, and export their spans by OTLP/HTTP to a receiver the test runs."""

import asyncio
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from billing_contracts import UsageRecordedV1, new_envelope
from billing_runtime.auth import development_token
from billing_runtime.settings import ServiceSettings
from devstack.ports import free_port
from devstack.pytest_plugin import local_stack
from devstack.services import ServiceProcesses
from devstack.story import OPERATOR, wait_for_lag_zero

from .otlp_receiver import OtlpReceiver, ReceivedSpan


@pytest.fixture(scope="module")
def traced_platform(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    # A stack of its own, as the walking skeleton has: other tests leave usage on the shared topics.
    with OtlpReceiver() as receiver, local_stack(pytestconfig) as endpoints:
        exporting = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "OTEL_BSP_SCHEDULE_DELAY": "200"}
        services = ServiceProcesses(endpoints, tmp_path_factory.mktemp("traced"),
                                    {"invoicing": free_port(), "payments": free_port()}, extra_env=exporting)
        services.start()
        try:
            yield services.urls(), endpoints, receiver
        finally:
            services.stop()


async def publish_usage(bootstrap: str, account: str, traceparent: str) -> None:
    """As an upstream service does: the trace it is in, in the envelope (no Kafka header)."""
    event = UsageRecordedV1(billing_account_id=account, project_id="prj_traced", meter="compute.vcpu_hours",
                            quantity=Decimal("2.5"), occurred_at=datetime.now(UTC))
    envelope = new_envelope(event, source="/platform/compute", traceparent=traceparent)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait("usage.recorded", envelope.to_bytes(), key=envelope.kafka_key())
    finally:
        await producer.stop()
    await wait_for_lag_zero(bootstrap, "invoicing", "usage.recorded")


def one(spans: list[ReceivedSpan], **where: object) -> ReceivedSpan | None:
    found = [s for s in spans if all(getattr(s, k) == v for k, v in where.items())]
    assert len(found) <= 1, found
    return found[0] if found else None


def test_a_usage_trace_is_followed_through_the_invoice_to_its_charge_in_payments_and_back(traced_platform):
    urls, endpoints, receiver = traced_platform
    usage_trace, upstream_span = secrets.token_hex(16), secrets.token_hex(8)
    account = f"ba_traced_{secrets.token_hex(4)}"
    asyncio.run(publish_usage(endpoints.kafka_bootstrap_servers, account, f"00-{usage_trace}-{upstream_span}-01"))

    # invoicing counted the usage in a consumer span of the usage's trace (or, batched, linked to it)
    counted = receiver.wait_for(lambda spans: next(
        (s for s in spans if s.service == "invoicing" and s.name == "process usage.recorded"
         and (s.trace_id == usage_trace or usage_trace in {t for t, _ in s.links})), None))
    assert counted.kind == "consumer"
    if counted.trace_id == usage_trace:
        assert counted.parent_span_id == upstream_span

    token = development_token(OPERATOR, ServiceSettings())
    answer = httpx.post(f"{urls['invoicing']}/v1/billing-periods/close", json={"period": datetime.now(UTC).strftime("%Y-%m")},
                        headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert answer.status_code == 200, answer.text
    closing_trace = answer.headers["traceparent"].split("-")[1]

    # the invoice's finalization links back to the usage's trace, inside the closing request's trace
    finalize = receiver.wait_for(lambda spans: one(spans, service="invoicing", name="finalize invoice", trace_id=closing_trace))
    assert finalize.attributes["billing.account.id"] == account
    assert usage_trace in {trace for trace, _ in finalize.links}
    assert (usage_trace, upstream_span) in finalize.links, "linked to the span the usage came from"
    # The server span ends after the response is sent, so it can reach the receiver in a later
    # export than the finalization's: wait for it as for every other span.
    request = receiver.wait_for(lambda spans: one(spans, service="invoicing", span_id=finalize.parent_span_id))
    assert (request.kind, request.name) == ("server", "POST /v1/billing-periods/close")
    assert request.parent_span_id is None, "the operator's request started the closing trace"

    # invoice.finalized went out in a producer span of the finalization (the relay) ...
    sent = receiver.wait_for(lambda spans: one(spans, service="invoicing", name="send invoice.finalized",
                                               parent_span_id=finalize.span_id))
    assert (sent.kind, sent.trace_id) == ("producer", closing_trace)
    # ... and payments handled it in a consumer span continuing the producer's (the Kafka header)
    charged = receiver.wait_for(lambda spans: one(spans, service="payments", name="process invoice.finalized",
                                                  parent_span_id=sent.span_id))
    assert (charged.kind, charged.trace_id) == ("consumer", closing_trace)
    assert charged.attributes["messaging.consumer.group.name"] == "payments.open_charge"
    assert charged.attributes["messaging.message.id"] == sent.attributes["messaging.message.id"]

    # The charging worker collects the charge in the same trace: the account has no card, so
    # `charge.failed` goes back to invoicing, still in the trace.
    collected = receiver.wait_for(lambda spans: one(spans, service="payments", name="collect charge",
                                                    parent_span_id=charged.span_id))
    failed = receiver.wait_for(lambda spans: one(spans, service="payments", name="send charge.failed",
                                                 parent_span_id=collected.span_id))
    due = receiver.wait_for(lambda spans: one(spans, service="invoicing", name="process charge.failed",
                                              parent_span_id=failed.span_id))
    assert {collected.trace_id, failed.trace_id, due.trace_id} == {closing_trace}
