"""The service's own PostgreSQL database: engine, readiness and clear connection errors."""

import asyncio
from collections.abc import Mapping
from typing import Any

from sqlalchemy import TextClause, text
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


async def delete_in_chunks(engine: AsyncEngine, statement: TextClause, parameters: Mapping[str, Any], chunk: int) -> int:
    """Run `statement` (a DELETE of at most `:chunk` rows) in a transaction of its own, again
    and again until it deletes fewer than `chunk`; how many rows it deleted in all. Retention
    deletes so: the writers of the table never wait long behind it."""
    deleted_in_all = 0
    while True:
        async with engine.begin() as transaction:
            deleted = (await transaction.execute(statement, {**parameters, "chunk": chunk})).rowcount
        deleted_in_all += deleted
        if deleted < chunk:
            return deleted_in_all
