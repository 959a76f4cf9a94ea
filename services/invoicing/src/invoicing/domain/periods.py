"""Billing periods: calendar months in UTC, start inclusive and end exclusive."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from invoicing.domain.errors import InvalidBillingPeriod

LABEL = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, order=True)
class BillingPeriod:
    """One calendar month: usage with `start <= occurred_at < end` belongs to it."""

    start: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise InvalidBillingPeriod(f"a billing period starts at a UTC instant, not {self.start.isoformat()}")
        start = self.start.astimezone(UTC)
        if (start.day, start.hour, start.minute, start.second, start.microsecond) != (1, 0, 0, 0, 0):
            raise InvalidBillingPeriod(f"a billing period starts at midnight UTC on the 1st, not {start.isoformat()}")
        object.__setattr__(self, "start", start)

    @classmethod
    def month(cls, year: int, month: int) -> "BillingPeriod":
        return cls(datetime(year, month, 1, tzinfo=UTC))

    @classmethod
    def containing(cls, instant: datetime) -> "BillingPeriod":
        if instant.tzinfo is None:
            raise InvalidBillingPeriod("a time without a zone cannot be placed in a billing period")
        utc = instant.astimezone(UTC)
        return cls.month(utc.year, utc.month)

    @classmethod
    def parse(cls, label: str) -> "BillingPeriod":
        """`"2026-11"` → November 2026."""
        match = LABEL.match(label)
        if not match:
            raise InvalidBillingPeriod(f"a billing period is written YYYY-MM, not {label!r}")
        return cls.month(int(match[1]), int(match[2]))

    @property
    def end(self) -> datetime:
        """The first instant of the next month (exclusive)."""
        year, month = (self.start.year + 1, 1) if self.start.month == 12 else (self.start.year, self.start.month + 1)
        return datetime(year, month, 1, tzinfo=UTC)

    @property
    def label(self) -> str:
        return f"{self.start.year:04d}-{self.start.month:02d}"

    def __contains__(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


def closable_before(now: datetime, grace: timedelta) -> datetime:
    """Periods starting before this instant have ended at least `grace` ago and may be closed.

    A period may close once `end + grace <= now`, that is once it starts before the month
    that contains `now - grace`.
    """
    return BillingPeriod.containing(now - grace).start
