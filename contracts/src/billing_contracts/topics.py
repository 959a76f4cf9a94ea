"""The topic registry: every Kafka topic the platform uses, with how it is provisioned.

Every message on every topic is keyed by the billing account id, so one account's events
stay in order on one partition. The local stack, the tests and the deployment manifests
all create topics from this registry, never by hand and never by auto-creation.

Each event topic carries one event type (the topic name is the CloudEvents `type`) in the
schema versions listed in `versions`. Each event topic has one dead-letter topic,
`<topic>.dead_lettered`, where a consumer puts a message it cannot process: the original
key and value bytes unchanged, so nothing is lost and the message can be replayed once
fixed. Dead-letter topics have no schema of their own (`versions=()`).
"""

from dataclasses import dataclass
from enum import StrEnum

DAY_MS = 24 * 60 * 60 * 1000
DEAD_LETTER_SUFFIX = ".dead_lettered"


class Cleanup(StrEnum):
    DELETE = "delete"
    """Events expire after `retention_ms`, or never when it is None."""
    COMPACT = "compact"
    """Snapshots: Kafka keeps the latest message per key (billing account) for ever."""


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    cleanup: Cleanup = Cleanup.DELETE
    retention_ms: int | None = 14 * DAY_MS
    key: str = "billing_account_id"
    versions: tuple[int, ...] = (1,)
    """Schema versions of the event type this topic carries; empty for dead-letter topics."""
    dead_letter_of: str | None = None
    """For a dead-letter topic, the topic whose unprocessable messages it keeps."""

    def config(self) -> dict[str, str]:
        """Kafka topic configuration for this topic."""
        config = {"cleanup.policy": self.cleanup.value}
        if self.cleanup is Cleanup.DELETE:
            config["retention.ms"] = str(-1 if self.retention_ms is None else self.retention_ms)
        return config

    @property
    def is_dead_letter(self) -> bool:
        return self.dead_letter_of is not None


def _dead_letter_topic(source: Topic) -> Topic:
    """Few partitions (dead letters are rare) and a month to notice, fix and replay them.

    Always delete-cleanup, even for compacted sources: every dead letter is kept, not
    only the latest per account.
    """
    return Topic(
        source.name + DEAD_LETTER_SUFFIX,
        partitions=3,
        retention_ms=30 * DAY_MS,
        key=source.key,
        versions=(),
        dead_letter_of=source.name,
    )


_EVENT_TOPICS: tuple[Topic, ...] = (
    # Usage is the high-volume stream: more partitions so invoicing can scale out.
    Topic("usage.recorded", partitions=12, retention_ms=35 * DAY_MS, versions=(1,)),
    Topic("invoice.finalized", partitions=6, retention_ms=90 * DAY_MS, versions=(1,)),
    Topic("invoice.paid", partitions=6, retention_ms=90 * DAY_MS, versions=(1,)),
    Topic("invoice.payment_due", partitions=6, retention_ms=90 * DAY_MS, versions=(1,)),
    Topic("invoice.not_paid", partitions=6, retention_ms=90 * DAY_MS, versions=(1,)),
    Topic("invoice.voided", partitions=6, retention_ms=90 * DAY_MS, versions=(1,)),
    Topic("charge.succeeded", partitions=6, retention_ms=90 * DAY_MS, versions=(1,)),
    Topic("charge.failed", partitions=6, retention_ms=90 * DAY_MS, versions=(1,)),
    Topic("billing_account.changed", partitions=6, cleanup=Cleanup.COMPACT, retention_ms=None, versions=(1,)),
    Topic("payment_methods.changed", partitions=6, cleanup=Cleanup.COMPACT, retention_ms=None, versions=(1,)),
    # A project's links are its billing history: every one is kept (compaction by account would
    # drop all but an account's latest link).
    Topic("project.linked", partitions=6, retention_ms=None, versions=(1,)),
)

TOPICS: tuple[Topic, ...] = _EVENT_TOPICS + tuple(_dead_letter_topic(t) for t in _EVENT_TOPICS)


def topic(name: str) -> Topic:
    """The registered topic called `name`; a KeyError names the unknown topic."""
    for registered in TOPICS:
        if registered.name == name:
            return registered
    raise KeyError(f"no topic named {name!r} in the registry")


def dead_letter_topic(name: str) -> Topic:
    """The dead-letter topic of the event topic called `name`."""
    source = topic(name)
    if source.is_dead_letter:
        raise KeyError(f"{name!r} is a dead-letter topic; it has no dead-letter topic of its own")
    return topic(source.name + DEAD_LETTER_SUFFIX)
