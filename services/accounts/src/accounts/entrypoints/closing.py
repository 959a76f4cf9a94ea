"""The background loop that closes accounts whose deletion was requested, once nothing is owed."""

import asyncio
import contextlib
import logging
from datetime import timedelta

from billing_runtime.clock import Clock
from billing_runtime.service import Worker
from sqlalchemy.ext.asyncio import AsyncEngine

from accounts.use_cases.close_settled_accounts import close_settled_accounts

log = logging.getLogger(__name__)


def account_closer(engine: AsyncEngine, clock: Clock, grace: timedelta, interval: float) -> Worker:
    async def close_accounts(stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                for billing_account_id in await close_settled_accounts(engine, clock, grace):
                    log.info("closed billing account %s: deletion requested and nothing owed", billing_account_id)
            except Exception:  # noqa: BLE001 - the accounts stay pending; the next pass tries again
                log.exception("closing settled accounts failed; trying again later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), interval)

    return close_accounts
