from datetime import timedelta

from pydantic import SecretStr

from billing_runtime.settings import LOCAL_POSTGRES, ServiceSettings

from notifications.domain.preferences import NotificationPreferences


class NotificationsSettings(ServiceSettings):
    service_name: str = "notifications"
    http_port: int = 8004
    database_url: str = f"{LOCAL_POSTGRES}/notifications"

    smtp_starttls: bool = False
    """Upgrade the SMTP connection with STARTTLS before anything else is said."""
    smtp_username: str | None = None
    """Log in to the SMTP server when set (with `smtp_password`)."""
    smtp_password: SecretStr | None = None
    smtp_timeout: float = 30.0
    mail_from: str = "Billing <billing@billing.local>"
    mail_poll_interval: float = 0.5
    """Seconds the mail sender waits between looks for due emails when it found none."""

    receipts_by_default: bool = True
    """Whether an account that never chose gets receipts (`invoice.paid`)."""
    invoice_available_by_default: bool = True
    """Whether an account that never chose gets "invoice available" emails (`invoice.finalized`)."""

    held_event_max_age: timedelta = timedelta(hours=24)
    """How long an event waits for its account's contact before it is dropped to a failed
    log entry (seconds, or an ISO 8601 duration such as PT24H)."""
    held_event_sweep_interval: float = 60.0
    """Seconds between looks for held events that waited too long."""

    def default_preferences(self) -> NotificationPreferences:
        return NotificationPreferences(self.receipts_by_default, self.invoice_available_by_default)
