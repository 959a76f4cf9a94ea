"""The topic registry: every Kafka topic the platform uses, with how it is provisioned.

Every message on every topic is keyed by the billing account id, so one account's events
stay in order on one partition. The local stack, the tests and the deployment manifests
all create topics from this registry, never by hand and never by auto-creation.
"""

from dataclasses import dataclass
from enum import StrEnum

DAY_MS = 24 * 60 * 60 * 1000


class Cleanup(StrEnum):
    DELETE = "delete"
    """Events expire after `retention_ms`."""
    COMPACT = "compact"
    """Snapshots: Kafka keeps the latest message per key (billing account) for ever."""


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    cleanup: Cleanup = Cleanup.DELETE
    retention_ms: int | None = 14 * DAY_MS
    key: str = "billing_account_id"

    def config(self) -> dict[str, str]:
        """Kafka topic configuration for this topic."""
        config = {"cleanup.policy": self.cleanup.value}
        if self.cleanup is Cleanup.DELETE and self.retention_ms is not None:
            config["retention.ms"] = str(self.retention_ms)
        return config


TOPICS: tuple[Topic, ...] = (
    # Usage is the high-volume stream: more partitions so invoicing can scale out.
    Topic("usage.recorded", partitions=12, retention_ms=35 * DAY_MS),
    Topic("invoice.finalized", partitions=6, retention_ms=90 * DAY_MS),
    Topic("invoice.paid", partitions=6, retention_ms=90 * DAY_MS),
    Topic("invoice.payment_due", partitions=6, retention_ms=90 * DAY_MS),
    Topic("invoice.not_paid", partitions=6, retention_ms=90 * DAY_MS),
    Topic("invoice.voided", partitions=6, retention_ms=90 * DAY_MS),
    Topic("charge.succeeded", partitions=6, retention_ms=90 * DAY_MS),
    Topic("charge.failed", partitions=6, retention_ms=90 * DAY_MS),
    Topic("billing_account.changed", partitions=6, cleanup=Cleanup.COMPACT, retention_ms=None),
    Topic("payment_methods.changed", partitions=6, cleanup=Cleanup.COMPACT, retention_ms=None),
)


def topic(name: str) -> Topic:
    """The registered topic called `name`; a KeyError names the unknown topic."""
    for registered in TOPICS:
        if registered.name == name:
            return registered
    raise KeyError(f"no topic named {name!r} in the registry")
