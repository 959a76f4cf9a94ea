"""Background loops of a service: what they are, and the one that runs a pass now and then."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

Worker = Callable[[asyncio.Event], Awaitable[None]]
"""A background loop: runs until the event is set, and must survive its own errors."""

log = logging.getLogger(__name__)


def periodic(one_pass: Callable[[], Awaitable[object]], interval: float, failure: str) -> Worker:
    """A worker that runs `one_pass` now and then every `interval` seconds until the service
    stops. A pass that fails is logged with `failure` (the database may be away) and the next
    one tries again; stopping does not wait out the interval."""

    async def run(stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                await one_pass()
            except Exception:  # noqa: BLE001 - the loop must survive; the next pass tries again
                log.exception(failure)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), interval)

    one = getattr(one_pass, "func", one_pass)  # a partial names the function it calls
    run.__qualname__ = f"periodic {getattr(one, '__qualname__', 'pass')}"  # names the worker's task
    return run
