"""A background loop that drops events held too long for a contact (see `expire_held_events`)."""

import asyncio
import logging
from contextlib import suppress
from datetime import timedelta

from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncEngine

from notifications.use_cases.expire_held_events import expire_held_events

log = logging.getLogger(__name__)


class HeldEventsSweeper:
    def __init__(self, engine: AsyncEngine, clock: Clock, max_age: timedelta, interval: float = 60.0) -> None:
        self.engine = engine
        self.clock = clock
        self.max_age = max_age
        self.interval = interval

    async def run(self, stopping: asyncio.Event) -> None:
        """Until `stopping` is set: a sweep, then a pause; its own errors are logged, not raised."""
        while not stopping.is_set():
            try:
                await expire_held_events(self.engine, self.clock, self.max_age)
            except Exception:  # noqa: BLE001 - the loop must survive; the events stay held
                log.exception("held events sweeper: a sweep failed")
            with suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self.interval)
