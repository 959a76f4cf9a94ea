"""Fixtures of the accounts tests: the migrated accounts database, and a fake id generator."""

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from billing_runtime.database import create_engine
from billing_runtime.migrations import upgrade
from devstack.kafka import start_group_at_end
from devstack.postgres import scratch_database
from sqlalchemy.ext.asyncio import AsyncEngine

from accounts.bootstrap import MIGRATIONS


class SequentialAccountIds:
    """A fake of the `AccountIds` port: predictable ids, unique to this run (the database is shared)."""

    def __init__(self) -> None:
        self.run = uuid.uuid4().hex[:10]
        self.issued: list[str] = []

    def new_account_id(self) -> str:
        self.issued.append(f"ba_{self.run}{len(self.issued) + 1:06d}")
        return self.issued[-1]


@pytest.fixture
def account_ids() -> SequentialAccountIds:
    return SequentialAccountIds()


@pytest.fixture(scope="session")
def accounts_database_url(stack) -> Iterator[str]:
    """A fresh database migrated by the service's own history (the kit's branches included), so
    the closer of settled accounts and the outbox relay see only these tests' rows."""
    with scratch_database(stack.postgres_url, "accounts_it") as url:
        upgrade(MIGRATIONS, url)
        yield url


@pytest.fixture
async def accounts_engine(accounts_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(accounts_database_url)
    yield engine
    await engine.dispose()


# --- The app in-process, over the real database and Kafka ---------------------------------

CONSUMED_TOPICS = (
    "payment_methods.changed", "invoice.finalized", "invoice.payment_due", "invoice.not_paid", "invoice.paid",
    "invoice.voided",
)


@pytest.fixture(scope="session")
def accounts_settings(stack, accounts_database_url):
    import asyncio

    from accounts.settings import AccountsSettings

    settings = AccountsSettings(
        service_name=f"accounts-test-{uuid.uuid4().hex[:8]}",
        kafka_bootstrap_servers=stack.kafka_bootstrap_servers,
        database_url=accounts_database_url,
    )
    asyncio.run(start_group_at_end(stack.kafka_bootstrap_servers, settings.service_name, CONSUMED_TOPICS))
    return settings


@pytest.fixture(scope="session")
def accounts_client(accounts_settings):
    """One running app (lifespan: broker, relay, closer) for the HTTP tests."""
    from fastapi.testclient import TestClient

    from accounts.entrypoints.http import create_app

    with TestClient(create_app(accounts_settings)) as client:
        yield client


@pytest.fixture
def person(accounts_settings):
    """A new customer each time: (email, Authorization header)."""
    from billing_runtime.auth import development_token

    def sign_in(name: str) -> tuple[str, dict[str, str]]:
        email = f"{name}.{uuid.uuid4().hex[:8]}@example.com"
        return email, {"Authorization": f"Bearer {development_token(email, accounts_settings)}"}

    return sign_in


@pytest.fixture
def service_token(accounts_settings):
    """The Authorization header of a platform service token (`sub` = svc:..., with `scope`)."""
    from datetime import UTC, datetime, timedelta

    import jwt

    def token(scope: str = "projects:write", subject: str = "svc:platform") -> dict[str, str]:
        now = datetime.now(UTC)
        claims = {"sub": subject, "scope": scope, "aud": accounts_settings.jwt_audience,
                  "iss": accounts_settings.jwt_issuer, "iat": now, "exp": now + timedelta(minutes=10)}
        encoded = jwt.encode(claims, accounts_settings.jwt_secret.get_secret_value(), algorithm="HS256")
        return {"Authorization": f"Bearer {encoded}"}

    return token


@pytest.fixture
def publish(stack):
    """Put envelopes on their topics, as payments and invoicing would (keyed by account)."""
    import asyncio

    from aiokafka import AIOKafkaProducer

    async def send(envelopes) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap_servers, acks="all", enable_idempotence=True)
        await producer.start()
        try:
            for envelope in envelopes:
                await producer.send_and_wait(envelope.type, envelope.to_bytes(), key=envelope.kafka_key())
        finally:
            await producer.stop()

    return lambda *envelopes: asyncio.run(send(envelopes))


@pytest.fixture
def outbox_events(accounts_database_url):
    """The events staged on a topic for an account, oldest first."""
    import psycopg
    from billing_contracts import parse_event

    plain_url = accounts_database_url.replace("postgresql+psycopg://", "postgresql://")

    def read(topic: str, billing_account_id: str) -> list:
        with psycopg.connect(plain_url) as connection:
            rows = connection.execute(
                "SELECT payload FROM outbox WHERE topic = %s AND key = %s ORDER BY id", (topic, billing_account_id),
            ).fetchall()
        return [parse_event(bytes(row[0])).data for row in rows]

    return read


@pytest.fixture
def outbox_snapshots(outbox_events):
    """The `billing_account.changed` snapshots staged for an account, oldest first."""
    return lambda billing_account_id: outbox_events("billing_account.changed", billing_account_id)
