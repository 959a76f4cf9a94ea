"""The service's own PostgreSQL database: engine, readiness and clear connection errors."""

import asyncio

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def create_engine(url: str) -> AsyncEngine:
    """An async engine; nothing connects until first use."""
    return create_async_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def redact(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


async def database_ready(engine: AsyncEngine, timeout: float = 2.0) -> bool:
    try:
        async with asyncio.timeout(timeout):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - readiness answers yes or no, the reason goes to the log
        return False


def unreachable_message(url: str, error: BaseException) -> str:
    """One sentence saying which database could not be reached and what to do."""
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    return (
        f"Cannot reach the database at {redact(url)} ({reason}); start that PostgreSQL server "
        "or set DATABASE_URL to one that is running."
    )
