"""What a running service is made of, and the FastAPI app around it.

Built by each service's `bootstrap(settings)`; nothing here connects at import time.
"""

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaBroker, KafkaRouter
from sqlalchemy.ext.asyncio import AsyncEngine

from billing_runtime.broker import create_broker
from billing_runtime.database import create_engine
from billing_runtime.health import health_router
from billing_runtime.messaging.relay import OutboxRelay
from billing_runtime.settings import ServiceSettings


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    engine: AsyncEngine
    broker: KafkaBroker
    relay: OutboxRelay
    migrations_dir: Path


def create_service_app(runtime: ServiceRuntime, routers: Iterable[APIRouter] = ()) -> FastAPI:
    """The service's HTTP app; its lifespan starts the Kafka broker and closes the pools."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stopping = asyncio.Event()
        await runtime.broker.start()
        await runtime.relay.start()
        relaying = asyncio.create_task(runtime.relay.run(stopping), name="outbox-relay")
        try:
            yield
        finally:
            stopping.set()
            await relaying
            await runtime.relay.stop()
            await runtime.broker.stop()
            await runtime.engine.dispose()

    app = FastAPI(title=f"{runtime.settings.service_name} service", version="1", lifespan=lifespan)
    app.state.runtime = runtime
    app.include_router(health_router(runtime))
    for router in routers:
        app.include_router(router)
    return app


def build_runtime(
    settings: ServiceSettings, migrations_dir: Path, stream_routers: Iterable[KafkaRouter] = ()
) -> ServiceRuntime:
    """The composition root's common part: engine and broker, both still unconnected."""
    engine = create_engine(settings.database_url)
    return ServiceRuntime(
        settings=settings,
        engine=engine,
        broker=create_broker(settings, routers=stream_routers),
        relay=OutboxRelay(engine, settings.kafka_bootstrap_servers, client_id=f"{settings.service_name}-relay"),
        migrations_dir=migrations_dir,
    )
