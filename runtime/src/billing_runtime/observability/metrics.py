"""Prometheus metrics of a service: HTTP, messages, consumer lag, outbox, dead letters.

The metric objects are process-wide (Prometheus' default registry) and carry a `service`
label; the gauges that describe current state (lag, outbox backlog) are refreshed when
`/metrics` is scraped, so they are never stale and cost nothing between scrapes.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import text
from starlette.middleware.base import BaseHTTPMiddleware

HTTP_REQUESTS = Counter("billing_http_requests_total", "HTTP requests answered.", ["service", "method", "route", "status"])
HTTP_LATENCY = Histogram(
    "billing_http_request_duration_seconds", "Time to answer an HTTP request.", ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
MESSAGES_CONSUMED = Counter(
    "billing_messages_consumed_total", "Messages consumed, by outcome: applied, duplicate or dead_lettered.",
    ["service", "topic", "outcome"],
)
MESSAGES_FAILED = Counter("billing_messages_failed_total", "Handler attempts that failed (retried or dead-lettered).", ["service", "topic"])
DEAD_LETTERS = Counter("billing_dead_letters_total", "Messages put on a dead-letter topic.", ["service", "topic", "reason"])
OUTBOX_PUBLISHED = Counter("billing_outbox_published_total", "Outbox messages published to Kafka.", ["service", "topic"])
OUTBOX_BACKLOG = Gauge("billing_outbox_backlog", "Outbox messages committed but not yet published.", ["service"])
OUTBOX_AGE = Gauge("billing_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox message.", ["service"])
CONSUMER_LAG = Gauge("billing_consumer_lag", "Messages behind the end of the partition.", ["service", "group", "topic", "partition"])

OUTBOX_STATE = text(
    "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0) FROM outbox WHERE published_at IS NULL"
)


class HttpMetrics(BaseHTTPMiddleware):
    def __init__(self, app, service: str) -> None:  # noqa: ANN001 - an ASGI app
        super().__init__(app)
        self.service = service

    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = getattr(request.scope.get("route"), "path", "unmatched")
            HTTP_REQUESTS.labels(self.service, request.method, route, str(status)).inc()
            HTTP_LATENCY.labels(self.service, request.method, route).observe(time.perf_counter() - started)


def metrics_router(runtime) -> APIRouter:  # noqa: ANN001 - a ServiceRuntime (import cycle)
    router = APIRouter(tags=["health"])
    service = runtime.settings.service_name

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        await _refresh_outbox(runtime, service)
        await _refresh_lag(runtime, service)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


async def _refresh_outbox(runtime, service: str) -> None:  # noqa: ANN001
    try:
        async with runtime.engine.connect() as connection:
            backlog, age = (await connection.execute(OUTBOX_STATE)).one()
    except Exception:  # noqa: BLE001 - the database is away: /readyz says so; keep the last figures
        return
    OUTBOX_BACKLOG.labels(service).set(backlog)
    OUTBOX_AGE.labels(service).set(float(age))


_LAG_SERIES: dict[str, set[tuple[str, ...]]] = {}


async def _refresh_lag(runtime, service: str) -> None:  # noqa: ANN001
    """Set the lag of every partition this process holds, and drop the figures of partitions it
    no longer holds (after a rebalance they belong to another process's figures)."""
    fresh: set[tuple[str, ...]] = set()
    for subscriber in runtime.broker.subscribers:
        consumer = getattr(subscriber, "consumer", None)
        if consumer is None:
            continue
        try:
            assigned = consumer.assignment()
        except Exception:  # noqa: BLE001 - not started or rebalancing
            continue
        for partition in assigned:
            end = consumer.highwater(partition)
            if end is None:  # nothing fetched from it yet
                continue
            try:
                position = await asyncio.wait_for(consumer.position(partition), 1.0)
            except Exception:  # noqa: BLE001 - rebalancing
                continue
            labels = (service, subscriber.group_id or "", partition.topic, str(partition.partition))
            CONSUMER_LAG.labels(*labels).set(max(end - position, 0))
            fresh.add(labels)
    for stale in _LAG_SERIES.get(service, set()) - fresh:
        CONSUMER_LAG.remove(*stale)
    _LAG_SERIES[service] = fresh
