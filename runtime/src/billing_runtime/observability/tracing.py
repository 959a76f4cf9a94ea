"""W3C trace context carried across Kafka hops in every envelope's `traceparent`, and
OpenTelemetry spans when a collector is configured.

A request (its `traceparent` header) or a consumed event becomes the current trace while it is
handled; events published meanwhile continue that trace, so one trace id follows a charge from
`invoice.finalized` to the email, hop after hop, and the JSON logs of every service name it.

Two modes, chosen once per process by `use(provider)` (see `otel.configure_tracing`):
- off (the default): no OpenTelemetry at all, only trace ids: each hop makes up a span id of
  its own (nothing is recorded, so nothing waits on an exporter);
- on: every hop is a real span (server, producer, consumer, internal), exported by the given
  provider, and the traceparent an event carries names the span that caused it.
"""

import contextvars
import secrets
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager

from fastapi import Request, Response

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, SpanContext, SpanKind, Tracer, TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.middleware.base import BaseHTTPMiddleware

from billing_runtime.observability.logs import bind, trace_id_of

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("traceparent", default=None)
_tracer: Tracer | None = None
_PROPAGATOR = TraceContextTextMapPropagator()
MAX_LINKS = 128
"""The SDK keeps 128 links per span by default (OTEL_SPAN_LINK_COUNT_LIMIT): more are not built."""
UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def use(provider: TracerProvider | None) -> None:
    """Record spans with `provider` from now on; None turns spans off (trace ids still flow)."""
    global _tracer
    _tracer = provider.get_tracer("billing_runtime") if provider is not None else None


def tracer() -> Tracer | None:
    """The tracer spans are made with; None when they are not recorded."""
    return _tracer


def recording() -> bool:
    """Whether spans are made (a collector is configured); otherwise skip work done only for them."""
    return _tracer is not None


def new_traceparent(trace_id: str | None = None) -> str:
    """A span of `trace_id` (or of a new trace), sampled."""
    return f"00-{trace_id or secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def child_of(traceparent: str | None) -> str:
    """A new span in the same trace as `traceparent`; a new trace when there is none (or it is malformed)."""
    return new_traceparent(trace_id_of(traceparent))


def current() -> str | None:
    """The traceparent of what is being handled now (a request, an event, an operation)."""
    return _current.get()


def for_new_event() -> str:
    """The traceparent an event published now carries: the current span when spans are recorded
    (a real span, the event's parent), else a child of the current trace."""
    now = current()
    return now if _tracer is not None and now else child_of(now)


def traceparent_of(span_context: SpanContext) -> str:
    return f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}-{int(span_context.trace_flags):02x}"


def context_of(traceparent: str | None) -> Context:
    """An OpenTelemetry context whose (remote) span is `traceparent`; empty when there is none."""
    return _PROPAGATOR.extract({"traceparent": traceparent}) if traceparent else Context()


def links_to(traceparents: Iterable[str | None]) -> list[Link]:
    """Links to each valid, distinct traceparent (the first `MAX_LINKS`)."""
    links, seen = [], set()
    for traceparent in traceparents:
        if traceparent and traceparent not in seen and len(links) < MAX_LINKS:
            seen.add(traceparent)
            span_context = trace.get_current_span(context_of(traceparent)).get_span_context()
            if span_context.is_valid:
                links.append(Link(span_context))
    return links


@contextmanager
def continue_trace(
    traceparent: str | None, name: str = "handle", kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, str | int] | None = None, links: Iterable[str | None] = (),
) -> Iterator[str]:
    """Handle something as a child of `traceparent` (a new trace when None); logs inside carry
    its trace id. Yields the traceparent of the handling span."""
    if _tracer is None:
        with _as_current(child_of(traceparent)) as handling:
            yield handling
        return
    with _tracer.start_as_current_span(name, context=context_of(traceparent), kind=kind, attributes=attributes,
                                       links=links_to(links)) as span, \
            _as_current(traceparent_of(span.get_span_context())) as handling:
        yield handling


@contextmanager
def span(name: str, attributes: Mapping[str, str | int] | None = None, links: Iterable[str | None] = ()) -> Iterator[str]:
    """An operation inside the current one (its own span when recording, linked to `links`).
    Yields the traceparent an event caused by the operation carries."""
    if _tracer is None:
        yield child_of(current())
        return
    with _tracer.start_as_current_span(name, attributes=attributes, links=links_to(links)) as started, \
            _as_current(traceparent_of(started.get_span_context())) as operation:
        yield operation


def annotate(attributes: Mapping[str, str | int]) -> None:
    """Add what was learnt meanwhile (an id made inside the operation) to the current span, if recorded."""
    if _tracer is not None:
        trace.get_current_span().set_attributes(attributes)


@contextmanager
def _as_current(traceparent: str) -> Iterator[str]:
    """`traceparent` is what is handled now (for `current()`), and its trace id is on the logs."""
    token = _current.set(traceparent)
    try:
        with bind(trace_id=trace_id_of(traceparent)):
            yield traceparent
    finally:
        _current.reset(token)


class TraceRequests(BaseHTTPMiddleware):
    """Each request continues the caller's trace (its `traceparent` header) or starts one, and
    answers with its own span's `traceparent`. When recording, a server span per request;
    probes and scrapes get none (a span every few seconds per pod says nothing)."""

    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if _tracer is None or request.url.path in UNTRACED_PATHS:
            with _as_current(child_of(request.headers.get("traceparent"))) as traceparent:
                response = await call_next(request)
            response.headers["traceparent"] = traceparent
            return response
        with continue_trace(request.headers.get("traceparent"), request.method, SpanKind.SERVER,
                            {"http.request.method": request.method, "url.path": request.url.path}) as traceparent:
            server = trace.get_current_span()
            response = await call_next(request)
            route = getattr(request.scope.get("route"), "path", None)
            if route:  # the span is named by the route (a template), never by ids in the path
                server.update_name(f"{request.method} {route}")
                server.set_attribute("http.route", route)
            server.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 500:
                server.set_status(trace.StatusCode.ERROR)
        response.headers["traceparent"] = traceparent
        return response
