"""Settings every service reads from its environment (names fixed by the design card)."""

from enum import StrEnum
from typing import ClassVar

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The development defaults point at the local stack that `make run` starts.
LOCAL_KAFKA = "127.0.0.1:19092"
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:15432"
LOCAL_STRIPE_EMULATOR = "http://127.0.0.1:8420"
LOCAL_SMTP_PORT = 1025

DEVELOPMENT_STRIPE_KEY = "sk_test_local_emulator"
DEVELOPMENT_JWT_SECRET = "development-only-jwt-secret-change-me"
DEVELOPMENT_WEBHOOK_SECRET = "whsec_development_only"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class ServiceRole(StrEnum):
    ALL = "all"
    HTTP = "http"
    CONSUMER = "consumer"


class ServiceSettings(BaseSettings):
    """Common settings; each service subclasses it to set its name, port and database."""

    uses_stripe: ClassVar[bool] = False
    """Whether production must be given real Stripe secrets (only payments talks to Stripe)."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    service_name: str = "billing"
    environment: Environment = Environment.DEVELOPMENT
    log_level: str = "INFO"
    log_json: bool = True
    """One JSON object per line, with trace and event ids (LOG_JSON=false for plain text)."""

    service_role: ServiceRole = ServiceRole.ALL
    http_host: str = "127.0.0.1"
    http_port: int = 8000

    kafka_bootstrap_servers: str = LOCAL_KAFKA
    database_url: str = f"{LOCAL_POSTGRES}/postgres"

    stripe_api_key: SecretStr = SecretStr(DEVELOPMENT_STRIPE_KEY)
    stripe_api_base: str | None = None
    stripe_webhook_secret: SecretStr = SecretStr(DEVELOPMENT_WEBHOOK_SECRET)

    smtp_host: str = "127.0.0.1"
    smtp_port: int = LOCAL_SMTP_PORT

    jwt_secret: SecretStr = SecretStr(DEVELOPMENT_JWT_SECRET)
    jwt_jwks_url: str | None = None
    jwt_audience: str = "billing-api"
    jwt_issuer: str = "billing-local"
    jwt_algorithms: list[str] = ["HS256"]

    dashboard_base_url: str = "http://127.0.0.1:3000"
    operator_emails: list[str] = ["operator@billing.local"]
    """Finance operators (close periods, void invoices, edit prices), by verified token email."""
    outbox_retention_days: float = Field(default=7.0, gt=0)
    """Published outbox rows are deleted this long after publishing (see `relay.KEPT`)."""

    @property
    def stripe_endpoint(self) -> str | None:
        """Where the Stripe client talks: the given base, the local emulator while the key is
        the development placeholder, or None for Stripe itself (a real test-mode key)."""
        if self.stripe_api_base:
            return self.stripe_api_base
        if self.stripe_api_key.get_secret_value() == DEVELOPMENT_STRIPE_KEY:
            return LOCAL_STRIPE_EMULATOR
        return None

    @model_validator(mode="after")
    def _refuse_development_secrets_in_production(self) -> "ServiceSettings":
        if self.environment is not Environment.PRODUCTION:
            return self
        defaults = {"JWT_SECRET": (self.jwt_secret, DEVELOPMENT_JWT_SECRET)}
        if self.uses_stripe:
            defaults["STRIPE_WEBHOOK_SECRET"] = (self.stripe_webhook_secret, DEVELOPMENT_WEBHOOK_SECRET)
            defaults["STRIPE_API_KEY"] = (self.stripe_api_key, DEVELOPMENT_STRIPE_KEY)
        unset = [name for name, (value, default) in defaults.items() if value.get_secret_value() == default]
        if self.jwt_jwks_url and "JWT_SECRET" in unset:
            unset.remove("JWT_SECRET")
        if unset:
            raise ValueError(f"set {', '.join(unset)}: development defaults are refused in production")
        return self
