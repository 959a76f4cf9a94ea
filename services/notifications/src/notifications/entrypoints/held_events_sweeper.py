"""A background loop that drops events held too long for a contact (see `expire_held_events`)."""

from datetime import timedelta
from functools import partial

from billing_runtime.clock import Clock
from billing_runtime.workers import Worker, periodic
from sqlalchemy.ext.asyncio import AsyncEngine

from notifications.use_cases.expire_held_events import expire_held_events


def held_events_sweeper(engine: AsyncEngine, clock: Clock, max_age: timedelta, interval: float = 60.0) -> Worker:
    """A sweep every `interval` seconds until the service stops; a sweep that fails leaves the
    events held, and the next one tries again."""
    return periodic(partial(expire_held_events, engine, clock, max_age), interval, "held events sweeper: a sweep failed")
