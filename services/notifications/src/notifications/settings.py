from pydantic import SecretStr

from billing_runtime.settings import LOCAL_POSTGRES, ServiceSettings


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
