from pydantic import Field

from billing_runtime.settings import LOCAL_POSTGRES, ServiceSettings


class InvoicingSettings(ServiceSettings):
    service_name: str = "invoicing"
    http_port: int = 8003
    database_url: str = f"{LOCAL_POSTGRES}/invoicing"

    invoicing_close_interval_seconds: float = Field(default=60.0, gt=0)
    """How often the scheduler looks for billing periods to close (INVOICING_CLOSE_INTERVAL_SECONDS)."""
    invoicing_grace_period_hours: float = Field(default=1.0, ge=0)
    """How long after a period ends the scheduler waits for late usage before closing it
    (INVOICING_GRACE_PERIOD_HOURS). Usage arriving later still counts: on the next invoice."""
    invoicing_max_usage_ahead_seconds: float = Field(default=3600.0, ge=0)
    """Usage claiming to happen more than this after the service's clock is dead-lettered
    (INVOICING_MAX_USAGE_AHEAD_SECONDS)."""
    invoicing_usage_producer_emails: list[str] = ["usage-producer@billing.local"]
    """Callers (by verified token email) allowed to POST /v1/usage: upstream platform services,
    never account members, who would be reporting their own bill (INVOICING_USAGE_PRODUCER_EMAILS)."""
