"""`/healthz` (the process is alive) and `/readyz` (its database and broker answer)."""

import asyncio
from typing import TYPE_CHECKING

from fastapi import APIRouter
from faststream.specification import AsyncAPI
from fastapi.responses import JSONResponse

from billing_runtime.broker import broker_ready
from billing_runtime.database import database_ready

if TYPE_CHECKING:
    from billing_runtime.service import ServiceRuntime


def health_router(runtime: "ServiceRuntime", check_broker: bool = True) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": runtime.settings.service_name}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        checks = {"database": database_ready(runtime.engine)}
        if check_broker:  # an HTTP-only process does not connect to Kafka
            checks["broker"] = broker_ready(runtime.broker)
        checks = dict(zip(checks, await asyncio.gather(*checks.values()), strict=True))
        ready = all(checks.values())
        return JSONResponse(
            {"ready": ready, "service": runtime.settings.service_name, "checks": checks},
            status_code=200 if ready else 503,
        )

    @router.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi() -> JSONResponse:
        """The service's Kafka side: the topics it consumes, with their consumer group."""
        return JSONResponse(asyncapi_document(runtime))

    return router


def asyncapi_document(runtime: "ServiceRuntime") -> dict:
    name = runtime.settings.service_name
    document = AsyncAPI(runtime.broker, title=f"{name} service", version="1",
                        description=f"Events the {name} service consumes (envelopes as in billing-contracts).")
    return document.to_specification().to_jsonable()
