"""What a running service is made of, and the FastAPI app around it.

Built by each service's `bootstrap(settings)`; nothing here connects at import time.
"""

import asyncio
import gc
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path


from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaBroker, KafkaRouter
from sqlalchemy.ext.asyncio import AsyncEngine

from billing_runtime.allocator import keep_freed_memory
from billing_runtime.broker import create_broker, start_broker
from billing_runtime.clock import Clock, SystemClock
from billing_runtime.database import create_engine
from billing_runtime.health import health_router
from billing_runtime.observability.metrics import HttpMetrics, metrics_router
from billing_runtime.observability.tracing import TraceRequests
from billing_runtime.messaging import kafka_reads, record_unpacking
from billing_runtime.messaging.dead_letters import DeadLetters
from billing_runtime.messaging.inbox_retention import ids_kept, inbox_retention
from billing_runtime.messaging.producer import Producer, create_producer
from billing_runtime.messaging.relay import OutboxRelay
from billing_runtime.messaging.subscriptions import EventSubscriptions
from billing_runtime.settings import ServiceRole, ServiceSettings
from billing_runtime.workers import Worker


YOUNG_OBJECTS_PER_COLLECTION = 250_000
"""Objects made (less those freed) between two collections of the youngest generation; Python's
default is 700. About what a usage consumer keeps alive at once (two batches of up to 40,000
messages, a few tracked objects each): with 20,000 a collection came several times a batch,
walked the batch's live objects, and the next generation walked them again. In `make bench` that was 1.1 s
of a consumer process's 11 (about 2 µs an event); with 250,000, one collection of 0.09 s.
Cyclic garbage waits longer for it: up to this many objects' worth (tens of MiB)."""


def settle_heap() -> None:
    """Keep what start-up made (modules, the app, the broker) out of the garbage collector's walks,
    and walk young objects less often (`YOUNG_OBJECTS_PER_COLLECTION`, with its figures). A
    consumer holds tens of thousands of objects per batch: at Python's default pace each is
    walked several times while it lives, and each full collection walked the start-up heap too.
    Freezing the start-up heap alone (young collections then every 20,000 objects) took the
    collector's share of reading a usage message from 2.4 to 0.3 µs. Only reference cycles wait
    for the collector, and the services make few.
    """
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS_PER_COLLECTION, older, oldest)


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    engine: AsyncEngine
    broker: KafkaBroker
    producer: Producer
    relay: OutboxRelay
    migrations_dir: Path
    workers: list[Worker] = field(default_factory=list)
    """Background loops of the service (a charging worker, a mail sender, a scheduler...)."""
    subscriptions: EventSubscriptions | None = None
    """The service's subscribers, closed before the broker stops (their batches in flight commit)."""
    inbox_ids_kept: dict[str, timedelta] = field(default_factory=dict)
    """Per consumer, how long its inbox keeps an event's id (`inbox_retention`, one of `workers`);
    a consumer not in it keeps them for ever."""


def create_service_app(runtime: ServiceRuntime, routers: Iterable[APIRouter] = ()) -> FastAPI:
    """The service's app, in the role its settings give (SERVICE_ROLE):

    - `http`: the API; the database only (no Kafka connection, no background loops);
    - `consumer`: the subscribers, the outbox relay and the background workers, with only
      /healthz, /readyz and /metrics over HTTP (for probes and scraping);
    - `all` (the default, as `make run` runs them): both in one process.
    The roles scale apart: the API by request load, the consumers by lag.
    """
    role = runtime.settings.service_role
    consuming = role in (ServiceRole.ALL, ServiceRole.CONSUMER)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stopping = asyncio.Event()
        running: list[asyncio.Task[None]] = []
        settle_heap()
        if consuming:
            keep_freed_memory()  # batches of tens of MiB: not faulted in page by page each time
            record_unpacking.install()  # fetched records unpacked in C, not a Python step each
            kafka_reads.install()  # a fetch's megabytes gathered in chunks, not one growing buffer
            await runtime.producer.start()
            await start_broker(runtime.broker)
            loops = [runtime.relay.run, *runtime.workers]
            running = [asyncio.create_task(loop(stopping), name=getattr(loop, "__qualname__", "worker")) for loop in loops]
        try:
            yield
        finally:
            stopping.set()
            await asyncio.gather(*running, return_exceptions=True)
            if consuming:
                if runtime.subscriptions is not None:
                    await runtime.subscriptions.close()
                await runtime.broker.stop()
                await runtime.producer.stop()
            await runtime.engine.dispose()

    # FastAPI's own telemetry is off: `TraceRequests` makes the server span, because it must be
    # current while the request is handled (FastAPI's is not), so that the logs and the events
    # the request publishes name it. Metrics are Prometheus' (/metrics), logs the JSON lines.
    app = FastAPI(title=f"{runtime.settings.service_name} service", version="1", lifespan=lifespan,
                  telemetry={"tracing": False, "metrics": False, "logs": False})
    app.state.runtime = runtime
    app.add_middleware(HttpMetrics, service=runtime.settings.service_name)
    app.add_middleware(TraceRequests)
    app.include_router(health_router(runtime, check_broker=consuming))
    app.include_router(metrics_router(runtime))
    if role in (ServiceRole.ALL, ServiceRole.HTTP):
        for router in routers:
            app.include_router(router)
    return app


def build_runtime(
    settings: ServiceSettings, migrations_dir: Path, subscribe: Callable[[EventSubscriptions], None] = lambda _: None,
    clock: Clock | None = None,
) -> ServiceRuntime:
    """The composition root's common part; nothing connects until the app starts.

    `subscribe` registers the service's event handlers; they all share the consumer group
    named after the service. Their inboxes forget ids no copy of whose event can come any more
    (`inbox_retention`).
    """
    engine = create_engine(settings.database_url)
    producer = create_producer(settings.kafka_bootstrap_servers, client_id=settings.service_name)
    router = KafkaRouter()
    subscriptions = EventSubscriptions(router, settings.service_name, engine, DeadLetters(producer, settings.service_name))
    subscribe(subscriptions)
    kept = ids_kept(subscriptions.inboxes.items())
    return ServiceRuntime(
        settings=settings,
        engine=engine,
        broker=create_broker(settings, routers=[router]),
        producer=producer,
        relay=OutboxRelay(engine, producer, service=settings.service_name,
                          kept=timedelta(days=settings.outbox_retention_days)),
        migrations_dir=migrations_dir,
        subscriptions=subscriptions,
        inbox_ids_kept=kept,
        workers=[inbox_retention(engine, clock or SystemClock(), kept)],
    )
