"""The idempotent consumer: each event has its effect once, and nothing is lost or stuck.

For every delivery (one message, or a batch of them):
- the message is read against the contracts; one that fails goes to its dead-letter topic
  with the reason naming the field, and is not retried (it cannot get better);
- the handler's effect and the event ids go into the inbox in one transaction, so a
  redelivered event finds its id taken and has no second effect;
- a batch that fails is applied in halves, and those in halves, down to the messages at
  fault; those go through the rest of this list one by one;
- a handler that fails is retried with backoff; after the last attempt the message goes to
  the dead-letter topic with the error, and the partition moves on; an error whose class
  says `retryable = False` (a rule the message breaks, like an unknown meter) goes there at
  once, with the class's `reason` if it has one (domain code marks its errors so without
  importing anything from here);
- a database or broker that is away is not the message's fault: the error propagates, the
  offset is not committed (the subscriber nacks), and the message comes again.
The subscriber commits the offset only after this returns, so only after the database commit.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from itertools import compress, groupby
from operator import attrgetter, itemgetter

from billing_contracts import ContractError, Envelope
from psycopg.errors import UndefinedColumn, UndefinedTable
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from billing_runtime.messaging.batch_order import BatchBefore, BatchBeforeNotApplied, await_batch_before
from billing_runtime.messaging.dead_letters import DeadLetters, Delivered
from billing_runtime.messaging.inbox import Inbox, event_key
from billing_runtime.messaging.reading import read_delivery
from billing_runtime.observability.logs import bind
from billing_runtime.observability.message_spans import consuming, consuming_batch
from billing_runtime.observability.metrics import MESSAGES_CONSUMED, MESSAGES_FAILED

log = logging.getLogger(__name__)
_ID = attrgetter("id")
_ENVELOPE = itemgetter(1)
_DELIVERY = itemgetter(0)
_SOURCE = attrgetter("topic", "partition")

Handler = Callable[[list[Envelope], AsyncConnection], Awaitable[None]]
"""Applies fresh (never seen) events in the open transaction it is given."""


def event_keys(readable: Iterable[tuple[Delivered, Envelope]]) -> list[str]:
    """What `read_all` read, as the inbox keys it (`event_key` of each envelope's id), in order. A
    batch's keys are made once (the pipeline hands them on to the transaction and the inbox): each
    pass over 40,000 costs a few milliseconds."""
    return list(map(event_key, map(_ID, map(_ENVELOPE, readable))))


Sources = list[tuple[tuple[str, int], int]]
"""Where a batch's messages came from, in their order: runs of ((topic, partition), how many).
The inbox remembers ids per partition (`Inbox.remember`)."""


def sources(readable: Iterable[tuple[Delivered, Envelope]]) -> Sources:
    """The `Sources` of what `read_all` read. The pipeline has them from its pass over the batch's
    offsets already (this costs about 170 ns a message, so it is not made twice)."""
    return [(source, len(list(run))) for source, run in groupby(map(_SOURCE, map(_DELIVERY, readable)))]


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    first_backoff: float = 0.1
    max_backoff: float = 5.0

    def backoff(self, attempt: int) -> float:
        return min(self.first_backoff * 2 ** (attempt - 1), self.max_backoff)


def _infrastructure_away(error: BaseException) -> bool:
    """The database or the network failed, not the message: retry the delivery later instead.

    A missing table or column counts too: the database is not migrated yet, and every message
    would fail the same way, so none of them belongs on the dead-letter topic.
    """
    if isinstance(error, OperationalError | OSError | ConnectionError):
        return True
    if isinstance(error, DBAPIError):
        return error.connection_invalidated or isinstance(error.orig, UndefinedTable | UndefinedColumn)
    return False


class IdempotentConsumer:
    READ_AT_ONCE = 256
    """Messages `read_all` reads before it yields to the event loop (so that a transaction running
    meanwhile goes on), in one comprehension: 90-100 ns a message less than a loop with a `try`
    around each one (40,000 of the bench's usage messages, best of 30 rounds). Reading has no
    effect, so a chunk with a message the contracts refuse is simply read again, one by one."""

    def __init__(
        self,
        name: str,
        engine: AsyncEngine,
        dead_letters: DeadLetters,
        retry: RetryPolicy = RetryPolicy(),
        parse: Callable[[bytes], Envelope] | None = None,
    ) -> None:
        """`parse` reads a message value (default: `read_delivery`, the contracts' reading)."""
        self.name = name
        self.service = name.split(".", 1)[0]
        self.engine = engine
        self.dead_letters = dead_letters
        self.retry = retry
        self.inbox = Inbox(name)
        self.parse = parse

    async def consume(self, deliveries: Sequence[Delivered], handler: Handler) -> None:
        """Process a batch in one transaction; if it fails, its halves, down to the messages at fault."""
        await self.apply(await self.read_all(deliveries), handler)

    async def read_all(self, deliveries: Sequence[Delivered]) -> list[tuple[Delivered, Envelope]]:
        """The readable messages with what they say; the others go to the dead-letter topic.

        Yields to the event loop every few hundred messages, so that a transaction running
        meanwhile (the batch before, in a pipeline) goes on while this one is read."""
        readable: list[tuple[Delivered, Envelope]] = []
        async with self._pausing_when_infrastructure_away():
            parse = self.parse
            for start in range(0, len(deliveries), self.READ_AT_ONCE):
                chunk = deliveries[start:start + self.READ_AT_ONCE]
                try:  # in one comprehension, `parse` called in it: no Python step of our own a message
                    if parse is None:
                        readable += [(delivery, read_delivery(delivery)) for delivery in chunk]
                    else:
                        readable += [(delivery, parse(delivery.value or b"")) for delivery in chunk]
                except ContractError:  # a message the contracts refuse: the chunk again, one by one
                    await self._read_one_by_one(chunk, readable)
                if start + self.READ_AT_ONCE < len(deliveries):
                    await asyncio.sleep(0)
        return readable

    async def _read_one_by_one(self, deliveries: Sequence[Delivered], readable: list[tuple[Delivered, Envelope]]) -> None:
        """`read_all` of a few messages, some of which the contracts refuse: those are dead-lettered."""
        parse = self.parse
        for delivery in deliveries:
            try:
                readable.append((delivery, read_delivery(delivery) if parse is None else parse(delivery.value or b"")))
            except ContractError as error:
                log.warning("dead-lettering %s@%s/%s: %s", delivery.topic, delivery.partition, delivery.offset, error)
                await self.dead_letters.put_aside(delivery, error.reason, str(error), attempts=1)
                MESSAGES_CONSUMED.labels(self.service, delivery.topic, "dead_lettered").inc()

    async def apply(
        self, readable: Sequence[tuple[Delivered, Envelope]], handler: Handler, after: BatchBefore | None = None,
        keys: list[str] | None = None, runs: Sources | None = None,
    ) -> None:
        """Apply what `read_all` read: the batch in one transaction, or, if it fails, its halves,
        and so on down to the messages at fault, each retried, then dead-lettered; raises only
        when the infrastructure is away. One bad message in n costs about 2·log2(n) more
        transactions (one at a time, a batch of 20,000 took 20,000), and the stream's order holds:
        a half commits before the next is applied.

        With `after` (the batch before, still in flight), the batch's events are recorded in the
        inbox meanwhile, and its effects wait until that batch committed; if it did not, this
        raises `BatchBeforeNotApplied` and changes nothing. `keys` and `runs`: the batch's
        `event_keys` and `sources`, if the caller has them already (the pipeline does)."""
        if not readable:
            await await_batch_before(after)
            return
        async with self._pausing_when_infrastructure_away():
            await self._apply_or_halve(readable, handler, after, keys, runs)

    async def _apply_or_halve(
        self, readable: Sequence[tuple[Delivered, Envelope]], handler: Handler, after: BatchBefore | None = None,
        keys: list[str] | None = None, runs: Sources | None = None,
    ) -> None:
        """One message: its retries, then its dead letter. More: one transaction, and if it fails,
        each half the same way, the first committed before the second is tried."""
        if len(readable) > 1:
            try:
                with consuming_batch(self.name, readable):
                    await self._apply(list(map(_ENVELOPE, readable)), event_keys(readable) if keys is None else keys,
                                      sources(readable) if runs is None else runs, handler, after)
                return
            except Exception as error:
                if _infrastructure_away(error) or isinstance(error, BatchBeforeNotApplied):
                    raise
                log.info("batch of %d failed (%s); applying its halves", len(readable), error)
        await await_batch_before(after)
        if len(readable) == 1:
            delivery, envelope = readable[0]
            await self._consume_one(delivery, envelope, handler)
            return
        middle = len(readable) // 2
        await self._apply_or_halve(readable[:middle], handler)
        await self._apply_or_halve(readable[middle:], handler)

    @asynccontextmanager
    async def _pausing_when_infrastructure_away(self) -> AsyncIterator[None]:
        try:
            yield
        except Exception as error:
            if _infrastructure_away(error):
                # Not the message's fault: no dead letter, no commit. Pause so that a database
                # that is away is not hammered by instant redeliveries, then let it come again.
                log.warning("%s: infrastructure unavailable (%s); the delivery will come again", self.name, error)
                await asyncio.sleep(self.retry.max_backoff)
            raise

    async def _consume_one(self, delivery: Delivered, envelope: Envelope, handler: Handler) -> None:
        with bind(event_id=str(envelope.id), topic=delivery.topic), consuming(self.name, delivery, envelope):
            await self._attempt(delivery, envelope, handler)

    async def _attempt(self, delivery: Delivered, envelope: Envelope, handler: Handler) -> None:
        attempts = 0
        for attempt in range(1, self.retry.attempts + 1):
            attempts = attempt
            try:
                await self._apply([envelope], [event_key(envelope.id)], [((delivery.topic, delivery.partition), 1)], handler)
                return
            except Exception as error:
                if _infrastructure_away(error):
                    raise
                failure = error
                MESSAGES_FAILED.labels(self.service, delivery.topic).inc()
                log.warning("event %s failed (attempt %d of %d): %s", envelope.id, attempt, self.retry.attempts, error)
                if not getattr(error, "retryable", True):
                    break  # the message can never succeed as it is: no point waiting
                if attempt < self.retry.attempts:
                    await asyncio.sleep(self.retry.backoff(attempt))
        reason = getattr(failure, "reason", None) if not getattr(failure, "retryable", True) else None
        await self.dead_letters.put_aside(delivery, reason or "handler_failed", f"{type(failure).__name__}: {failure}", attempts=attempts)
        MESSAGES_CONSUMED.labels(self.service, delivery.topic, "dead_lettered").inc()

    async def _apply(
        self, envelopes: list[Envelope], keys: list[str], runs: Sources, handler: Handler,
        after: BatchBefore | None = None,
    ) -> None:
        """`keys`: the envelopes' `event_key`s, in their order; `runs`: their `sources`."""
        async with self.engine.begin() as transaction:
            # Recorded while the batch before is applied: all but the events also in it (copies
            # a producer sent again soon after: in the bench, most batches have some), whose rows
            # that batch holds (waiting for them here while that batch might come to wait for
            # this one would never end). Those are recorded after it, nearly always dropped by
            # the memory then.
            shared = after.event_ids.intersection(keys) if after is not None else ()
            fresh_keys = await self.inbox.first_deliveries(transaction, keys, runs, leave=shared)
            await await_batch_before(after)  # the effects keep the order of the stream
            if shared:
                fresh_keys = {*fresh_keys, *await self.inbox.first_deliveries(transaction, list(shared))}
            if len(fresh_keys) == len(envelopes):  # each one new, and none twice in the batch: all, as they came
                fresh = envelopes
            else:  # without the duplicates, in C loops: a Python step an event cost 3% of the consumer
                fresh = list(compress(envelopes, map(fresh_keys.__contains__, keys)))
                if len(fresh) != len(fresh_keys):  # an event twice in the batch: once, the first
                    fresh, unapplied = [], set(fresh_keys)
                    for key, envelope in zip(keys, envelopes, strict=True):
                        if key in unapplied:
                            fresh.append(envelope)
                            unapplied.discard(key)
            if fresh:
                await handler(fresh, transaction)
        # Counted and remembered once the transaction committed: what was applied is applied.
        self.inbox.remember(keys, runs)
        topic = envelopes[0].type
        MESSAGES_CONSUMED.labels(self.service, topic, "applied").inc(len(fresh))
        MESSAGES_CONSUMED.labels(self.service, topic, "duplicate").inc(len(envelopes) - len(fresh))
