"""Spans of Kafka hops: a producer span per message the outbox relay sends, a consumer span per
delivery handled (OpenTelemetry's messaging conventions).

On the wire a message carries two trace contexts: its envelope's `traceparent` (where the event
was created: the request or handler that caused it) and, when spans are recorded, the Kafka
header `traceparent` naming the producer span that sent it. A consumer continues the header's
context (the hop the message really took), or the envelope's when there is no header (a producer
outside the platform, or one that records no spans).
"""

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from types import TracebackType

from billing_contracts import Envelope
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind

from billing_runtime.messaging.dead_letters import Delivered
from billing_runtime.observability import tracing

SYSTEM = "kafka"


class ProducerSpans:
    """The producer spans of one batch the relay sends; each ends when the batch is acknowledged
    (or failed, with the error), on leaving the `with` block."""

    def __init__(self) -> None:
        self.spans: list[Span] = []

    def headers(self, topic: str, key: str, headers: Mapping[str, str]) -> list[tuple[str, bytes]]:
        """The Kafka headers of a message: the stored ones, with `traceparent` naming its producer
        span (a child of the envelope's) when spans are recorded."""
        wire = {**headers}
        tracer = tracing.tracer()
        if tracer is not None:
            span = tracer.start_span(
                f"send {topic}", context=tracing.context_of(headers.get("traceparent")), kind=SpanKind.PRODUCER,
                attributes={"messaging.system": SYSTEM, "messaging.operation.name": "send",
                            "messaging.destination.name": topic, "messaging.kafka.message.key": key,
                            "messaging.message.id": headers.get("ce_id", "")},
            )
            self.spans.append(span)
            wire["traceparent"] = tracing.traceparent_of(span.get_span_context())
        return [(name, value.encode()) for name, value in wire.items()]

    def __enter__(self) -> "ProducerSpans":
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        for span in self.spans:
            if error is not None:
                span.record_exception(error)
                span.set_status(trace.StatusCode.ERROR, str(error))
            span.end()


def _attributes(consumer: str, topic: str) -> dict[str, str | int]:
    return {"messaging.system": SYSTEM, "messaging.operation.name": "process", "messaging.destination.name": topic,
            "messaging.consumer.group.name": consumer}


def _sent_by(delivery: Delivered, envelope: Envelope) -> str | None:
    """The context the message came with: the producer span's (header), else the envelope's."""
    for name, value in delivery.headers:
        if name == "traceparent":
            return value.decode(errors="replace")
    return envelope.traceparent


@contextmanager
def consuming(consumer: str, delivery: Delivered, envelope: Envelope) -> Iterator[str]:
    """Handle one delivered message as a child of the context it came with; yields the
    traceparent of the handling span (what events published meanwhile carry)."""
    if not tracing.recording():  # as before spans: the envelope's trace, a span id of our own
        with tracing.continue_trace(envelope.traceparent) as traceparent:
            yield traceparent
        return
    attributes = {**_attributes(consumer, delivery.topic), "messaging.message.id": str(envelope.id),
                  "messaging.destination.partition.id": str(delivery.partition), "messaging.kafka.offset": delivery.offset}
    with tracing.continue_trace(_sent_by(delivery, envelope), f"process {delivery.topic}", SpanKind.CONSUMER,
                                attributes) as traceparent:
        yield traceparent


def consuming_batch(consumer: str, messages: Sequence[tuple[Delivered, Envelope]]) -> AbstractContextManager[object]:
    """Handle a batch in one span of its own, linked to the context of each message (a span has
    one parent; a batch has many): a trace of one message reaches the batch through its link."""
    if not tracing.recording():
        return nullcontext()
    topic = messages[0][0].topic
    attributes = {**_attributes(consumer, topic), "messaging.batch.message_count": len(messages)}
    return tracing.continue_trace(None, f"process {topic}", SpanKind.CONSUMER, attributes,
                                  links=(_sent_by(delivery, envelope) for delivery, envelope in messages))
