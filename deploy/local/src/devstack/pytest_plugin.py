"""pytest fixtures for the real local stack: `stack` (its endpoints) and `mailbox`.

Started once per test session, on free ports, so it never collides with a `make run` beside
it; its parts are child processes that die with pytest even if pytest is killed. Environment
variables (KAFKA_BOOTSTRAP_SERVERS, POSTGRES_URL, STRIPE_API_BASE, SMTP_HOST with
SMTP_MAILDIR, ...) point the tests at existing infrastructure instead; with a Docker engine,
testcontainers provide Kafka and PostgreSQL unless BILLING_STACK=local.
"""

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from devstack.endpoints import Endpoints
from devstack.errors import StackError
from devstack.mailbox import Mailbox
from devstack.stack import Stack, StackConfig


@contextmanager
def local_stack(pytestconfig: pytest.Config) -> Iterator[Endpoints]:
    """A stack in a folder of its own. Not under pytest's basetemp: pytest removes all but its
    three newest basetemps, which would pull the data from under a long run when other pytest
    runs start beside it."""
    cache = Path(pytestconfig.rootpath) / ".state" / "cache"
    state = Path(tempfile.mkdtemp(prefix="billing-stack-"))
    local = Stack(StackConfig.ephemeral(state, cache))
    try:
        try:
            endpoints = local.start()
        except StackError as error:
            pytest.exit(f"the local stack could not start: {error}", returncode=2)
        try:
            yield endpoints
        finally:
            local.stop()
    finally:
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="session")
def stack(pytestconfig: pytest.Config) -> Iterator[Endpoints]:
    with local_stack(pytestconfig) as endpoints:
        yield endpoints


@pytest.fixture
def mailbox(stack: Endpoints) -> Mailbox:
    if not stack.maildir:
        pytest.skip("SMTP_HOST points at an SMTP server whose mailbox is unknown (set SMTP_MAILDIR)")
    return Mailbox(Path(stack.maildir))
