"""The outbox relay: publishes committed outbox rows to Kafka, in commit order per key.

Ordering. Row ids are handed out when a transaction inserts, not when it commits, so a
transaction that started writing first may commit last. Rows are published in id order and
only once every transaction older than the oldest one still running has ended (the row's
`txid` is below the snapshot's xmin): a slow transaction holds back the rows after it rather
than being skipped or overtaken. Writers that change the same billing account serialize on
its row, so per key, id order is commit order.

Delivery. Rows are marked published only after Kafka acknowledged them (acks=all, the
idempotent producer). A crash in between publishes them again after restart: at least once
on the wire, exactly once in effect because every consumer deduplicates by event id.

One relay per database is active at a time (a PostgreSQL advisory lock), so scaling a service
to many processes never publishes one account's events out of order.

Retention. Published rows are deleted `kept` after they were published (a week by default,
`OUTBOX_RETENTION_DAYS`): without it the outbox grows by every event a service ever
published, one row for each usage event taken over HTTP. Every relay prunes, leading or not
(a pass that finds the rows gone deletes nothing); rows not yet published are never deleted.
"""

import asyncio
import contextlib
import logging
from datetime import timedelta

import psycopg

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from billing_runtime.database import delete_in_chunks
from billing_runtime.messaging.producer import Producer
from billing_runtime.messaging.tables import OUTBOX_CHANNEL
from billing_runtime.observability.message_spans import ProducerSpans
from billing_runtime.observability.metrics import OUTBOX_PUBLISHED
from billing_runtime.workers import periodic

log = logging.getLogger(__name__)

# Any constant will do; it only has to be the same for every relay of one database.
RELAY_LOCK = 0x0B1771_0A7B0C

PENDING = text(
    """
    SELECT id, topic, key, payload, headers FROM outbox
    WHERE published_at IS NULL AND txid < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY id LIMIT :limit
    """
)
MARK_PUBLISHED = text("UPDATE outbox SET published_at = now() WHERE id = ANY(:ids)")
# By the database's clock, which stamped `published_at`; found through the BRIN on it (messaging_0004).
FORGET_PUBLISHED = text("""
DELETE FROM outbox WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM outbox WHERE published_at < now() - CAST(:kept AS interval) LIMIT :chunk))
""")
KEPT = timedelta(days=7)
"""How long published rows stay: past any retry of a request that published them (the HTTP
usage intake answers a retried event id from them: see `accept_usage`), and a week to look
at what went out."""


class OutboxRelay:
    def __init__(
        self, engine: AsyncEngine, producer: Producer, *, batch_size: int = 500, poll_interval: float = 1.0,
        service: str = "", kept: timedelta = KEPT, prune_interval: float = 3600.0,
    ) -> None:
        """`producer` must be idempotent with acks=all (see `create_producer`) and started by the
        caller. Published rows are deleted `kept` after publishing, every `prune_interval` seconds."""
        if kept <= timedelta(0):
            raise ValueError("published outbox rows must be kept for some time, not " + str(kept))
        self.service = service
        self.engine = engine
        self.producer = producer
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.kept = kept
        self.prune_interval = prune_interval

    async def forget_published(self, chunk: int = 10_000) -> int:
        """One pass of retention: delete the rows published more than `kept` ago, `chunk` rows a
        transaction (so the relay's own updates never wait long behind it); how many."""
        forgotten = await delete_in_chunks(self.engine, FORGET_PUBLISHED, {"kept": self.kept}, chunk)
        if forgotten:
            log.info("forgot %d outbox rows published more than %s ago", forgotten, self.kept)
        return forgotten

    async def publish_pending(self) -> int:
        """Publish one batch of committed rows; returns how many were published."""
        async with self.engine.begin() as connection:
            rows = (await connection.execute(PENDING, {"limit": self.batch_size})).all()
            if not rows:
                return 0
            spans = ProducerSpans()
            sent = [
                await self.producer.send(
                    row.topic,
                    value=row.payload,
                    key=row.key.encode(),
                    headers=spans.headers(row.topic, row.key, row.headers),
                )
                for row in rows
            ]
            with spans:  # each producer span lasts until Kafka acknowledged its message
                await asyncio.gather(*sent)
            await connection.execute(MARK_PUBLISHED, {"ids": [row.id for row in rows]})
        for row in rows:
            OUTBOX_PUBLISHED.labels(self.service, row.topic).inc()
        return len(rows)

    async def run(self, stopping: asyncio.Event) -> None:
        """Lead (or wait to lead), then publish as rows commit until `stopping` is set; prune
        published rows meanwhile.

        A database that is away (or goes away) is waited for; the rows keep.
        """
        prune = periodic(self.forget_published, self.prune_interval, "could not forget published outbox rows")
        pruning = asyncio.create_task(prune(stopping), name="outbox retention")
        try:
            while not stopping.is_set():
                try:
                    await self._lead_and_relay(stopping)
                except (psycopg.Error, OSError) as error:
                    log.warning("outbox relay lost its database (%s); retrying", error)
                    await _sleep_unless(stopping, self.poll_interval)
        finally:
            pruning.cancel()  # a pass cut short deletes what it deleted; the next one does the rest
            with contextlib.suppress(asyncio.CancelledError):
                await pruning

    async def _lead_and_relay(self, stopping: asyncio.Event) -> None:
        url = make_url(self.engine.url).set(drivername="postgresql").render_as_string(hide_password=False)
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as listener:
            while not stopping.is_set():
                leading = (await (await listener.execute("SELECT pg_try_advisory_lock(%s)", [RELAY_LOCK])).fetchone())[0]
                if leading:
                    break
                await _sleep_unless(stopping, self.poll_interval)
            if stopping.is_set():
                return
            await listener.execute(f"LISTEN {OUTBOX_CHANNEL}")
            while not stopping.is_set():
                try:
                    published = await self.publish_pending()
                except Exception:  # noqa: BLE001 - Kafka or the database is away; the rows wait
                    log.exception("outbox relay could not publish; retrying")
                    published = 0
                    await _sleep_unless(stopping, self.poll_interval)
                if published < self.batch_size:
                    await _wait_for_notify(listener, stopping, self.poll_interval)


async def _wait_for_notify(listener: psycopg.AsyncConnection, stopping: asyncio.Event, timeout: float) -> None:
    """Until a row commits, `stopping` is set, or `timeout` passes.

    The timeout backs the notification up: a row held back by the xmin fence sends no second
    notification when the older transaction ends.
    """
    notified = asyncio.ensure_future(anext(aiter(listener.notifies(timeout=timeout, stop_after=1)), None))
    stopped = asyncio.ensure_future(stopping.wait())
    _, pending = await asyncio.wait({notified, stopped}, return_when=asyncio.FIRST_COMPLETED)
    for waiter in pending:
        waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError, psycopg.Error):
            await waiter


async def _sleep_unless(stopping: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)
