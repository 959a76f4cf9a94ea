"""The background loop that closes accounts whose deletion was requested, once nothing is owed."""

import logging
from datetime import timedelta
from functools import partial

from billing_runtime.clock import Clock
from billing_runtime.workers import Worker, periodic
from sqlalchemy.ext.asyncio import AsyncEngine

from accounts.use_cases.close_settled_accounts import close_settled_accounts

log = logging.getLogger(__name__)


async def close_accounts_once(engine: AsyncEngine, clock: Clock, grace: timedelta) -> None:
    for billing_account_id in await close_settled_accounts(engine, clock, grace):
        log.info("closed billing account %s: deletion requested and nothing owed", billing_account_id)


def account_closer(engine: AsyncEngine, clock: Clock, grace: timedelta, interval: float) -> Worker:
    # A pass that fails leaves the accounts pending; the next one tries again.
    return periodic(partial(close_accounts_once, engine, clock, grace), interval,
                    "closing settled accounts failed; trying again later")
