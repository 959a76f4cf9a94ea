"""No subscriber in the repository may use an ack policy that can lose messages, or lack a group."""

import importlib
import re
from pathlib import Path

from billing_runtime.messaging.subscriptions import unsafe_subscribers
from devstack.endpoints import SERVICES
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaRouter

REPO = Path(__file__).resolve().parents[2]
KIT = REPO / "runtime/src/billing_runtime/messaging/subscriptions.py"


def _service_broker(service: str) -> KafkaBroker:
    bootstrap = importlib.import_module(f"{service}.bootstrap")
    settings = importlib.import_module(f"{service}.settings")
    settings_class = next(v for k, v in vars(settings).items() if k.endswith("Settings") and k != "ServiceSettings")
    return bootstrap.bootstrap(settings_class()).broker


def test_every_service_subscriber_commits_only_after_processing_and_has_a_group():
    problems = [f"{service}: {p}" for service in SERVICES for p in unsafe_subscribers(_service_broker(service))]
    assert problems == []


def test_the_guard_catches_the_unsafe_defaults():
    router = KafkaRouter()

    @router.subscriber("usage.recorded", group_id="invoicing")  # FastStream's default: ACK_FIRST
    async def auto_committed(body: bytes) -> None: ...

    @router.subscriber("charge.failed", group_id="notifications", ack_policy=AckPolicy.ACK)
    async def committed_past_failure(body: bytes) -> None: ...

    @router.subscriber("charge.succeeded", ack_policy=AckPolicy.NACK_ON_ERROR)
    async def without_group(body: bytes) -> None: ...

    problems = sorted(unsafe_subscribers(KafkaBroker(routers=[router])))
    assert problems == [
        "charge.failed: ack policy AckPolicy.ACK can lose messages",
        "charge.succeeded: no consumer group",
        "usage.recorded: ack policy AckPolicy.ACK_FIRST can lose messages",
    ]


def test_subscribers_are_declared_only_through_the_kit():
    """A `.subscriber(` call elsewhere would bypass the inbox, the dead letters and the ack policy."""
    offenders = [
        str(path.relative_to(REPO))
        for root in ("services", "runtime/src")
        for path in (REPO / root).rglob("*.py")
        if path != KIT and re.search(r"\.subscriber\(", path.read_text())
    ]
    assert offenders == []
