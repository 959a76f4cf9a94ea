"""`/healthz` (the process is alive) and `/readyz` (its database and broker answer)."""

import asyncio
from typing import TYPE_CHECKING

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from billing_runtime.broker import broker_ready
from billing_runtime.database import database_ready

if TYPE_CHECKING:
    from billing_runtime.service import ServiceRuntime


def health_router(runtime: "ServiceRuntime") -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": runtime.settings.service_name}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        database, broker = await asyncio.gather(
            database_ready(runtime.engine), broker_ready(runtime.broker)
        )
        checks = {"database": database, "broker": broker}
        ready = all(checks.values())
        return JSONResponse(
            {"ready": ready, "service": runtime.settings.service_name, "checks": checks},
            status_code=200 if ready else 503,
        )

    return router
