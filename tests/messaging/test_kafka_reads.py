"""A consumer whose fetches are megabytes reads them through the chunked reader, against the real
broker, and gets every message as it was sent."""

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from billing_runtime.messaging import kafka_reads
from billing_runtime.messaging.kafka_reads import LARGE, ChunkedReader


async def test_megabyte_fetches_come_through_the_chunked_reader_whole(stack, monkeypatch):
    bootstrap, topic = stack.kafka_bootstrap_servers, f"tests.reads.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
    finally:
        await admin.close()
    sent = {f"m{n}".encode(): bytes([n % 251]) * 20_000 for n in range(300)}  # 6 MB
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", max_batch_size=1 << 20)
    await producer.start()
    try:
        for key, value in sent.items():
            await producer.send(topic, value, key=key)
        await producer.flush()
    finally:
        await producer.stop()

    large_reads = []
    read = ChunkedReader.readexactly

    async def counted(self, n):
        if n >= LARGE:
            large_reads.append(n)
        return await read(self, n)

    monkeypatch.setattr(ChunkedReader, "readexactly", counted)
    kafka_reads.install()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                max_partition_fetch_bytes=4 << 20, fetch_max_bytes=8 << 20)
    received = {}
    try:
        await consumer.start()
        async with asyncio.timeout(30):
            while len(received) < len(sent):
                for messages in (await consumer.getmany(timeout_ms=500)).values():
                    received.update((m.key, m.value) for m in messages)
        readers = {type(connection._reader) for connection in consumer._client._conns.values()}
    finally:
        await consumer.stop()
        kafka_reads.uninstall()
    assert received == sent
    assert readers == {ChunkedReader} and large_reads  # megabyte responses, read in chunks
