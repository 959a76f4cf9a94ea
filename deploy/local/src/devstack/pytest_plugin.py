"""pytest fixtures for the real local stack: `stack` (its endpoints) and `mailbox`.

Started once per test session, on free ports, so it never collides with a `make run` beside
it; its parts are child processes that die with pytest even if pytest is killed. Environment
variables (KAFKA_BOOTSTRAP_SERVERS, POSTGRES_URL, STRIPE_API_BASE, SMTP_HOST with
SMTP_MAILDIR, ...) point the tests at existing infrastructure instead; with a Docker engine,
testcontainers provide Kafka and PostgreSQL unless BILLING_STACK=local.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.endpoints import Endpoints
from devstack.errors import StackError
from devstack.mailbox import Mailbox
from devstack.stack import Stack, StackConfig


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[Endpoints]:
    cache = Path(pytestconfig.rootpath) / ".state" / "cache"
    local = Stack(StackConfig.ephemeral(tmp_path_factory.mktemp("stack"), cache))
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
        pytest.skip("SMTP_HOST points at an SMTP server whose mailbox is unknown (set SMTP_MAILDIR)")
    return Mailbox(Path(stack.maildir))
