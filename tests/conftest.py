"""The real local stack for the whole test session.

Started once, on free ports, so it never collides with a `make run` beside it; its parts are
child processes that die with pytest even if pytest is killed. Environment variables
(KAFKA_BOOTSTRAP_SERVERS, POSTGRES_URL, STRIPE_API_BASE, SMTP_HOST, ...) point the tests at
existing infrastructure instead; with a Docker engine, testcontainers provide Kafka and
PostgreSQL unless BILLING_STACK=local.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from devstack.endpoints import Endpoints
from devstack.errors import StackError
from devstack.mailbox import Mailbox
from devstack.stack import Stack, StackConfig

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoints]:
    config = StackConfig.ephemeral(tmp_path_factory.mktemp("stack"), REPO / ".state" / "cache")
    local = Stack(config)
    try:
        endpoints = local.start()
    except StackError as error:
        pytest.exit(f"the local stack could not start: {error}", returncode=2)
    try:
        yield endpoints
    finally:
        local.stop()


@pytest.fixture
def mailbox(stack: Endpoints) -> Mailbox:
    if not stack.maildir:
        pytest.skip("SMTP_HOST points at an SMTP server whose mailbox the tests cannot read")
    return Mailbox(Path(stack.maildir))
