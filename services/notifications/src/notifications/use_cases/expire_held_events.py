"""Held events whose account's contact never came: dropped to a failed entry of the email log.

The bound keeps the held table from growing for ever with events about accounts notifications
will never hear of (a typo'd id, an account deleted before its snapshot was published). The
entry names the event and the reason, in the log of the account it was about.
"""

import logging
from datetime import timedelta

from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncEngine

from notifications.adapters.email_log import record_unsent
from notifications.adapters.held_events import expire_held_events as take_expired
from notifications.domain.emails import describe, kind_for

log = logging.getLogger(__name__)


async def expire_held_events(engine: AsyncEngine, clock: Clock, max_age: timedelta) -> int:
    """Drop every event held longer than `max_age`; returns how many were dropped."""
    now = clock.now()
    async with engine.begin() as transaction:
        expired = await take_expired(transaction, now - max_age)
        for envelope in expired:
            reason = f"no contact for billing account {envelope.subject} arrived within {_duration(max_age)}; not sent"
            log.error("%s %s dropped: %s", envelope.type, envelope.id, reason)
            await record_unsent(transaction, event_id=envelope.id, billing_account_id=envelope.data.billing_account_id,
                                kind=kind_for(envelope.data), subject=f"Not sent: {describe(envelope.data)}",
                                reason=reason, at=now)
    return len(expired)


def _duration(span: timedelta) -> str:
    """`24 h`, `90 min`, `45 s`: the bound as a person writes it."""
    seconds = int(span.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"
