from datetime import timedelta

from billing_runtime.settings import LOCAL_POSTGRES, ServiceSettings
from pydantic import Field, model_validator

from invoicing.domain.usage import UsageWindow

LONGEST_MONTH = timedelta(days=31)


class InvoicingSettings(ServiceSettings):
    service_name: str = "invoicing"
    http_port: int = 8003
    database_url: str = f"{LOCAL_POSTGRES}/invoicing"

    invoicing_close_interval_seconds: float = Field(default=60.0, gt=0)
    """How often the scheduler looks for billing periods to close (INVOICING_CLOSE_INTERVAL_SECONDS)."""
    invoicing_fold_interval_seconds: float = Field(default=5.0, gt=0)
    """How often a consumer folds the usage counted since into the aggregates
    (INVOICING_FOLD_INTERVAL_SECONDS; see usage_ledger). Longer folds more batches at once (less
    work for PostgreSQL while catching up) and leaves more increments for reads to add up."""
    invoicing_grace_period_hours: float = Field(default=1.0, ge=0)
    """How long after a period ends the scheduler waits for late usage before closing it
    (INVOICING_GRACE_PERIOD_HOURS). Usage arriving later still counts: on the next invoice."""
    invoicing_max_usage_ahead_seconds: float = Field(default=3600.0, ge=0)
    """Usage claiming to happen more than this after the service's clock is dead-lettered
    (INVOICING_MAX_USAGE_AHEAD_SECONDS)."""
    invoicing_usage_dedup_days: float = Field(default=62.0, gt=0)
    """How long the usage consumer remembers the event ids it counted (INVOICING_USAGE_DEDUP_DAYS),
    so that a second copy counts nothing: at least a month plus the grace period. Usage that
    happened longer ago than that (less the future tolerance) is dead-lettered as too old."""
    invoicing_usage_producer_emails: list[str] = ["usage-producer@billing.local"]
    """Callers (by verified token email) allowed to POST /v1/usage: upstream platform services,
    never account members, who would be reporting their own bill (INVOICING_USAGE_PRODUCER_EMAILS)."""

    @model_validator(mode="after")
    def _dedup_covers_the_open_period_and_grace(self) -> "InvoicingSettings":
        window = self.usage_window()
        needed = LONGEST_MONTH + timedelta(hours=self.invoicing_grace_period_hours) + window.max_ahead
        if window.dedup < needed:
            raise ValueError(f"INVOICING_USAGE_DEDUP_DAYS must cover a month, the grace period and the future "
                             f"tolerance: at least {needed / timedelta(days=1):.2f} days")
        return self

    def usage_window(self) -> UsageWindow:
        return UsageWindow(max_ahead=timedelta(seconds=self.invoicing_max_usage_ahead_seconds),
                           dedup=timedelta(days=self.invoicing_usage_dedup_days))
