"""W3C trace context carried across Kafka hops in every envelope's `traceparent`.

A request (its `traceparent` header) or a consumed event (its envelope's) becomes the current
trace while it is handled; events published meanwhile continue that trace as child spans, so
one trace id follows a charge from `invoice.finalized` to the email, hop after hop, and the
JSON logs of every service name it.
"""

import contextvars
import secrets
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

from fastapi import Request, Response
from starlette.middleware.base import BaseHTTPMiddleware

from billing_runtime.observability.logs import bind, trace_id_of

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("traceparent", default=None)


def new_traceparent(trace_id: str | None = None) -> str:
    """A span of `trace_id` (or of a new trace), sampled."""
    return f"00-{trace_id or secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def child_of(traceparent: str | None) -> str:
    """A new span in the same trace as `traceparent`; a new trace when there is none (or it is malformed)."""
    return new_traceparent(trace_id_of(traceparent))


def current() -> str | None:
    return _current.get()


@contextmanager
def continue_trace(traceparent: str | None) -> Iterator[str]:
    """Handle something as a child span of `traceparent`; logs inside carry its trace id."""
    span = child_of(traceparent)
    token = _current.set(span)
    try:
        with bind(trace_id=trace_id_of(span)):
            yield span
    finally:
        _current.reset(token)


class TraceRequests(BaseHTTPMiddleware):
    """Each request continues the caller's trace (its `traceparent` header) or starts one, and
    answers with its own span's `traceparent`."""

    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        with continue_trace(request.headers.get("traceparent")) as span:
            response = await call_next(request)
        response.headers["traceparent"] = span
        return response
