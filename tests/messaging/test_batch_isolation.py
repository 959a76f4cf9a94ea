"""A batch that fails is split in halves, and the halves again, down to the messages at fault: those
are dead-lettered, everything else is applied once and in order, in a few transactions rather than
one per message. Against the real database."""

import math
import uuid
from dataclasses import replace

import pytest
from billing_contracts import ContractError, parse_event

from billing_runtime.messaging.consumer import IdempotentConsumer, RetryPolicy

from .conftest import usage_delivery


class Unratable(ValueError):
    retryable = False
    reason = "unknown_meter"


class DeadLetters:
    def __init__(self) -> None:
        self.put: list[tuple[int, str]] = []

    async def put_aside(self, delivery, reason, detail, attempts=1) -> None:  # noqa: ANN001 - as the kit's
        self.put.append((delivery.offset, reason))


async def test_a_failed_batch_is_halved_down_to_the_messages_at_fault(engine):
    account = f"ba_{uuid.uuid4().hex[:8]}"
    size, bad = 512, {100, 101, 400}
    deliveries = [usage_delivery(account, n, "test.unratable" if n in bad else "compute.vcpu_hours") for n in range(size)]
    dead_letters = DeadLetters()
    consumer = IdempotentConsumer(f"tests.isolation.{account}", engine, dead_letters, RetryPolicy(attempts=3))
    transactions, applied = [], []

    async def handler(envelopes, transaction):
        transactions.append(len(envelopes))
        if any(e.data.meter == "test.unratable" for e in envelopes):
            raise Unratable("no price for test.unratable")
        applied.extend(envelopes)

    readable = await consumer.read_all(deliveries)
    await consumer.apply(readable, handler)

    assert dead_letters.put == [(100, "unknown_meter"), (101, "unknown_meter"), (400, "unknown_meter")]
    expected = [envelope.id for n, (_, envelope) in enumerate(readable) if n not in bad]
    assert [envelope.id for envelope in applied] == expected  # each once, in the stream's order
    # Each bad message fails one half per level: about 2·log2(n) transactions each, where one
    # transaction per message took 513.
    assert len(transactions) <= 1 + len(bad) * 2 * math.ceil(math.log2(size))


async def test_messages_the_contracts_refuse_are_dead_lettered_and_the_rest_read_in_order(engine):
    """Read a chunk at a time; a chunk with a refused message is read again one by one: at a
    chunk's first and last message, and next to each other across two chunks."""
    account = f"ba_{uuid.uuid4().hex[:8]}"
    chunk = IdempotentConsumer.READ_AT_ONCE
    size, refused = 2 * chunk + 100, {0, chunk - 1, chunk, chunk + 1, 2 * chunk + 99}
    broken = b'{"not": "an envelope"}'
    deliveries = [replace(usage_delivery(account, n), value=broken) if n in refused else usage_delivery(account, n)
                  for n in range(size)]
    with pytest.raises(ContractError) as refusal:
        parse_event(broken)
    dead_letters = DeadLetters()
    consumer = IdempotentConsumer(f"tests.reading.{account}", engine, dead_letters)

    readable = await consumer.read_all(deliveries)

    assert [delivery.offset for delivery, _ in readable] == [n for n in range(size) if n not in refused]
    assert [envelope.id for _, envelope in readable] == [parse_event(d.value).id for d, _ in readable]
    assert dead_letters.put == [(n, refusal.value.reason) for n in sorted(refused)]
