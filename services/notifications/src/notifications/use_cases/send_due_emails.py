"""Send the emails that are due, each in its own transaction, and record what happened.

An email is in the log before it is sent and marked after: a redelivered event finds its
row and queues nothing, so it never sends twice. If the process dies between the server
accepting an email and the mark being committed, the email is sent again on the next pass
(at least once); it carries the same Message-ID, so mail systems can drop the copy.
"""

import asyncio
import logging

from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncEngine

from notifications.adapters.email_log import QueuedEmail, claim_due_email, record_outcome
from notifications.domain.delivery import DeliveryOutcome, delivered, refused
from notifications.domain.errors import MailDeliveryFailed, PermanentMailFailure
from notifications.domain.mail import EmailStatus, Mailer

log = logging.getLogger(__name__)


async def send_due_emails(
    engine: AsyncEngine, mailer: Mailer, clock: Clock, *, limit: int = 50, stopping: asyncio.Event | None = None
) -> int:
    """Send up to `limit` due emails; returns how many were attempted (0: none was due)."""
    attempted = 0
    while attempted < limit and not (stopping and stopping.is_set()):
        async with engine.begin() as transaction:
            email = await claim_due_email(transaction, clock.now())
            if email is None:
                break
            outcome = await deliver(email, mailer, clock)
            await record_outcome(transaction, email.id, outcome)
        attempted += 1
    return attempted


async def deliver(email: QueuedEmail, mailer: Mailer, clock: Clock) -> DeliveryOutcome:
    """One attempt: what the log should say afterwards. Any error but a permanent refusal
    counts as temporary, so an unexpected fault is retried a bounded number of times."""
    try:
        await mailer.send(email.message)
    except MailDeliveryFailed as error:
        permanent = isinstance(error, PermanentMailFailure)
        outcome = refused(email.attempts, clock.now(), str(error)[:2000], permanent=permanent)
    except Exception as error:  # noqa: BLE001 - a surprise is retried like a temporary failure
        outcome = refused(email.attempts, clock.now(), f"{type(error).__name__}: {error}"[:2000], permanent=False)
    else:
        return delivered(email.attempts, clock.now())
    level = logging.ERROR if outcome.status is EmailStatus.FAILED else logging.WARNING
    log.log(level, "email %s to %s: attempt %d failed (%s); now %s", email.id, email.message.recipient,
            outcome.attempts, outcome.error, outcome.status.value)
    return outcome
