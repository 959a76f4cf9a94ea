"""Where each part of a running stack is, and the environment a service needs to use it."""

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from devstack.postgres import database_url

SERVICES: dict[str, int] = {"accounts": 8001, "payments": 8002, "invoicing": 8003, "notifications": 8004}


@dataclass
class Endpoints:
    kafka_bootstrap_servers: str
    postgres_url: str
    stripe_api_base: str | None
    stripe_api_key: str
    smtp_host: str
    smtp_port: int
    maildir: str | None = None
    database_overrides: dict[str, str] = field(default_factory=dict)

    def database_url(self, service: str) -> str:
        return self.database_overrides.get(service) or database_url(self.postgres_url, service)

    def service_env(self, service: str) -> dict[str, str]:
        """The variables, named as the design card names them, that point a service here."""
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap_servers,
            "DATABASE_URL": self.database_url(service),
            "STRIPE_API_KEY": self.stripe_api_key,
            "SMTP_HOST": self.smtp_host,
            "SMTP_PORT": str(self.smtp_port),
        }
        if self.stripe_api_base:
            env["STRIPE_API_BASE"] = self.stripe_api_base
        return env

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, path: Path) -> "Endpoints":
        return cls(**json.loads(path.read_text()))


def database_overrides(environ: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    """`ACCOUNTS_DATABASE_URL` and its siblings point one service at a database of its own."""
    return {
        service: environ[f"{service.upper()}_DATABASE_URL"]
        for service in SERVICES
        if environ.get(f"{service.upper()}_DATABASE_URL")
    }
