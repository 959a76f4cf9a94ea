"""Forgetting event ids once no copy of their event can come any more, so that every consumer's
inbox stays bounded instead of growing with every event it ever processed.

A copy of an event processed at time t can reach its consumer:
- as its own offset delivered again (a crash before the commit, a rebalance, an operator's replay
  from the earliest offset), for as long as the topic keeps the message: its `retention_ms`;
- published again by its producer (the outbox relay's retry: within minutes);
- as an operator's replay of a dead letter of another copy, which the dead-letter topic keeps for
  its own retention; the replayed message then stays on the topic for the topic's retention.
So a copy can come until t plus both retentions: the id is kept that long, and a margin (the
inbox's times are the database's, the cut-off the service's clock). Topics that keep their
messages for ever (compacted snapshots, project links) keep their consumers' ids for ever too:
they carry a message per change of an account, not per use. A consumer recording several topics
under one name keeps its ids as long as its longest-kept topic asks.

Every replica of a service runs the pass; they delete in chunks (`forget_processed_before`), so
two at once only wait for each other's rows.
"""

import logging
from collections.abc import Iterable, Mapping
from datetime import timedelta
from functools import partial

from billing_contracts.topics import Cleanup, dead_letter_topic, topic
from sqlalchemy.ext.asyncio import AsyncEngine

from billing_runtime.clock import Clock
from billing_runtime.messaging.inbox import forget_processed_before
from billing_runtime.workers import Worker, periodic

log = logging.getLogger(__name__)

MARGIN = timedelta(days=1)
INTERVAL_SECONDS = 3600.0


def ids_kept_for(topic_name: str) -> timedelta | None:
    """How long a consumer of the topic must remember an event's id after processing it; None:
    for ever (a topic that keeps its messages for ever, or one the registry does not know)."""
    try:
        source, dead_letters = topic(topic_name), dead_letter_topic(topic_name)
    except KeyError:
        return None
    if source.cleanup is Cleanup.COMPACT or source.retention_ms is None or dead_letters.retention_ms is None:
        return None
    return timedelta(milliseconds=source.retention_ms + dead_letters.retention_ms) + MARGIN


def ids_kept(inboxes: Iterable[tuple[str, str]]) -> dict[str, timedelta]:
    """From (topic, consumer) pairs, each consumer whose ids may be forgotten, and after how long."""
    spans: dict[str, list[timedelta | None]] = {}
    for topic_name, consumer in inboxes:
        spans.setdefault(consumer, []).append(ids_kept_for(topic_name))
    return {consumer: max(kept) for consumer, kept in spans.items() if None not in kept}


async def forget_expired_ids(engine: AsyncEngine, clock: Clock, kept: Mapping[str, timedelta]) -> int:
    """One pass over every consumer in `kept`; how many ids were forgotten."""
    forgotten = 0
    for consumer, span in list(kept.items()):
        count = await forget_processed_before(engine, consumer, clock.now() - span)
        if count:
            log.info("%s: forgot %d event ids processed more than %s ago", consumer, count, span)
        forgotten += count
    return forgotten


def inbox_retention(engine: AsyncEngine, clock: Clock, kept: Mapping[str, timedelta],
                    interval: float = INTERVAL_SECONDS) -> Worker:
    """The worker: a pass every `interval` seconds until the service stops. `kept` is read at each
    pass: a service that keeps one of its inboxes for a span of its own sets it there (see invoicing)."""
    return periodic(partial(forget_expired_ids, engine, clock, kept), interval, "could not forget expired event ids")
