"""The mail sender: a background loop that sends due emails from the email log."""

import asyncio
import logging
from contextlib import suppress

from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncEngine

from notifications.domain.mail import Mailer
from notifications.use_cases.send_due_emails import send_due_emails

log = logging.getLogger(__name__)

MAX_PAUSE = 10.0


class MailSender:
    def __init__(self, engine: AsyncEngine, mailer: Mailer, clock: Clock, poll_interval: float = 0.5) -> None:
        self.engine = engine
        self.mailer = mailer
        self.clock = clock
        self.poll_interval = poll_interval

    async def run(self, stopping: asyncio.Event) -> None:
        """Until `stopping` is set: send what is due, else look again after the poll interval.
        Its own errors (a database away) are logged, and it pauses longer while they last."""
        failures = 0
        while not stopping.is_set():
            attempted = 0
            try:
                attempted = await send_due_emails(self.engine, self.mailer, self.clock, stopping=stopping)
                failures = 0
            except Exception:  # noqa: BLE001 - the loop must survive; the email stays pending
                failures += 1
                log.exception("mail sender: a pass failed (%d in a row)", failures)
            if attempted:
                continue
            pause = min(self.poll_interval * 2**failures, MAX_PAUSE)
            with suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), pause)
