"""Spans across a hop: who is whose parent, what goes on the wire, what links a batch to its
messages; and that nothing is recorded unless a collector is configured."""

from datetime import UTC, datetime

import pytest
from billing_contracts import ChargeFailedV1, new_envelope
from billing_runtime.messaging.dead_letters import Delivery
from billing_runtime.observability import tracing
from billing_runtime.observability.logs import trace_id_of
from billing_runtime.observability.message_spans import ProducerSpans, consuming, consuming_batch
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.trace import SpanKind, StatusCode

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER = f"00-{TRACE}-00f067aa0ba902b7-01"
OTHER_TRACE = "0af7651916cd43dd8448eb211c80319c"




def span_id(traceparent: str) -> int:
    return int(traceparent.split("-")[2], 16)


def envelope(traceparent: str | None = CALLER):
    return new_envelope(ChargeFailedV1(
        billing_account_id="ba_1", invoice_id="inv_1", invoice_number="INV-2026-11-000001", attempt=1, amount=100,
        currency="USD", failure_kind="declined", customer_message="Declined.", next_retry_at=None, final=False,
        failed_at=datetime.now(UTC)), source="/test", traceparent=traceparent)


def delivery(headers=()) -> Delivery:
    return Delivery("charge.failed", 3, 42, b"ba_1", b"{}", tuple(headers))


def app_answering_the_event_traceparent() -> FastAPI:
    app = FastAPI()
    app.add_middleware(tracing.TraceRequests)

    @app.get("/things/{thing_id}")
    def thing(thing_id: str) -> dict:
        return {"event_traceparent": tracing.for_new_event()}

    return app


def test_without_a_collector_no_span_is_made_and_the_trace_id_still_flows():
    assert not tracing.recording()
    with tracing.continue_trace(CALLER) as handling:
        event = tracing.for_new_event()
    assert trace_id_of(handling) == trace_id_of(event) == TRACE
    assert len({CALLER, handling, event}) == 3, "each hop a span id of its own"
    with consuming("payments.open_charge", delivery(), envelope()) as consumed:
        assert trace_id_of(consumed) == TRACE
    assert ProducerSpans().headers("charge.failed", "ba_1", {"traceparent": CALLER}) == [("traceparent", CALLER.encode())]


def test_a_request_is_a_server_span_of_the_caller_and_parent_of_the_events_it_publishes(spans):
    with TestClient(app_answering_the_event_traceparent()) as client:
        answer = client.get("/things/th_1", headers={"traceparent": CALLER})
    (server,) = spans.get_finished_spans()
    assert server.kind is SpanKind.SERVER and server.name == "GET /things/{thing_id}"
    assert server.parent.span_id == span_id(CALLER) and f"{server.context.trace_id:032x}" == TRACE
    assert server.attributes["http.response.status_code"] == 200
    assert answer.headers["traceparent"] == tracing.traceparent_of(server.context)
    assert answer.json()["event_traceparent"] == answer.headers["traceparent"], "the event's parent is the request"


def test_probes_make_no_span(spans):
    app = app_answering_the_event_traceparent()
    app.get("/healthz")(lambda: {})
    with TestClient(app) as client:
        assert trace_id_of(client.get("/healthz", headers={"traceparent": CALLER}).headers["traceparent"]) == TRACE
    assert spans.get_finished_spans() == ()


def test_the_relay_sends_each_message_in_a_producer_span_child_of_its_envelope(spans):
    with ProducerSpans() as producing:
        headers = dict(producing.headers("charge.failed", "ba_1", {"ce_id": "e1", "traceparent": CALLER}))
        assert spans.get_finished_spans() == (), "open until Kafka acknowledged the message"
    (send,) = spans.get_finished_spans()
    assert send.kind is SpanKind.PRODUCER and send.name == "send charge.failed"
    assert send.parent.span_id == span_id(CALLER)
    assert headers[b"traceparent".decode()] == tracing.traceparent_of(send.context).encode()
    assert headers["ce_id"] == b"e1"


def test_a_send_that_fails_ends_its_span_with_the_error(spans):
    with pytest.raises(ConnectionError), ProducerSpans() as producing:
        producing.headers("charge.failed", "ba_1", {"traceparent": CALLER})
        raise ConnectionError("broker away")
    (send,) = spans.get_finished_spans()
    assert send.status.status_code is StatusCode.ERROR


def test_a_consumer_continues_the_producer_span_of_the_header_before_the_envelope(spans):
    producer = f"00-{TRACE}-b7ad6b7169203331-01"
    with consuming("payments.open_charge", delivery([("traceparent", producer.encode())]), envelope()) as handling:
        published = tracing.for_new_event()
    with consuming("payments.open_charge", delivery(), envelope()):
        pass
    from_header, from_envelope = spans.get_finished_spans()
    assert from_header.kind is SpanKind.CONSUMER and from_header.name == "process charge.failed"
    assert from_header.parent.span_id == span_id(producer)
    assert from_envelope.parent.span_id == span_id(CALLER), "no header: the envelope's context"
    assert from_header.attributes["messaging.kafka.offset"] == 42
    assert published == handling == tracing.traceparent_of(from_header.context)


def test_a_batch_is_one_span_linked_to_every_message(spans):
    other = f"00-{OTHER_TRACE}-00f067aa0ba902b7-01"
    with consuming_batch("invoicing.count_usage", [(delivery(), envelope()), (delivery(), envelope(other))]):
        pass
    (batch,) = spans.get_finished_spans()
    assert batch.parent is None and batch.attributes["messaging.batch.message_count"] == 2
    assert {f"{link.context.trace_id:032x}" for link in batch.links} == {TRACE, OTHER_TRACE}


def test_an_operation_span_is_a_child_of_the_current_one_linked_to_the_traces_it_concerns(spans):
    billed = [f"00-{OTHER_TRACE}-00f067aa0ba902b7-01", None, "malformed"]
    with tracing.continue_trace(CALLER, "request") as request, tracing.span("finalize invoice", links=billed) as op:
        pass
    finalize, handling = spans.get_finished_spans()
    assert finalize.parent.span_id == span_id(request)
    assert [f"{link.context.trace_id:032x}" for link in finalize.links] == [OTHER_TRACE]
    assert op == tracing.traceparent_of(finalize.context)
