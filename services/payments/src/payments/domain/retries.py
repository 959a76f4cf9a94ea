"""The retry schedule (dunning): when a failed charge is tried again, counted from its first failure."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_RETRY_HOURS = (24, 72, 120, 168, 240, 336)
"""Six retries in two weeks: seven attempts, within Stripe's recommendation of up to eight."""


@dataclass(frozen=True)
class RetrySchedule:
    delays: tuple[timedelta, ...]
    """After the first failure, one per retry, increasing."""

    def __post_init__(self) -> None:
        if any(delay <= timedelta(0) for delay in self.delays):
            raise ValueError("retry delays must be positive")
        if list(self.delays) != sorted(set(self.delays)):
            raise ValueError("retry delays must increase")

    @classmethod
    def of_hours(cls, hours: Sequence[int | float] = DEFAULT_RETRY_HOURS) -> "RetrySchedule":
        return cls(tuple(timedelta(hours=h) for h in hours))

    @property
    def max_attempts(self) -> int:
        return len(self.delays) + 1

    def next_attempt_after(self, first_failed_at: datetime, failed_attempts: int, now: datetime) -> datetime | None:
        """When to try again after `failed_attempts` failures; None once the retries are used up.
        Never earlier than `now` (a retry that is late is made at once)."""
        if failed_attempts < 1 or failed_attempts > len(self.delays):
            return None
        return max(now, first_failed_at + self.delays[failed_attempts - 1])


NO_RETRIES = RetrySchedule(())
