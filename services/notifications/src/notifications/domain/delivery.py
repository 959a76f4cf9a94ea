"""When to try an email again after the mail server turned it away."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from notifications.domain.mail import EmailStatus

MAX_ATTEMPTS = 80
"""Temporary failures (server away, 4xx) are retried until the email goes out, for about
three days: 30 s, 1, 2, ... 32 min, then hourly. Only then is it given up as failed."""
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 30 s, 1 min, 2 min, ... at most an hour."""
    return min(FIRST_BACKOFF * 2 ** (attempts - 1), MAX_BACKOFF)


@dataclass(frozen=True)
class DeliveryOutcome:
    """What the email log records after one attempt."""

    status: EmailStatus
    attempts: int
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    error: str | None = None


def delivered(attempts_before: int, now: datetime) -> DeliveryOutcome:
    return DeliveryOutcome(EmailStatus.SENT, attempts_before + 1, sent_at=now)


def refused(attempts_before: int, now: datetime, error: str, *, permanent: bool) -> DeliveryOutcome:
    """Pending again after a backoff; failed for good when permanent or out of attempts."""
    attempts = attempts_before + 1
    if permanent or attempts >= MAX_ATTEMPTS:
        return DeliveryOutcome(EmailStatus.FAILED, attempts, error=error)
    return DeliveryOutcome(EmailStatus.PENDING, attempts, next_attempt_at=now + backoff(attempts), error=error)
