"""The real broker: topics from the registry, and a message produced and consumed through it."""

import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import UnknownTopicOrPartitionError
from billing_contracts import TOPICS, Cleanup


async def test_every_registered_topic_exists_with_its_partitions_and_cleanup(stack):
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap_servers)
    await admin.start()
    try:
        described = {meta["topic"]: meta for meta in await admin.describe_topics([t.name for t in TOPICS])}
        compacted = [t.name for t in TOPICS if t.cleanup is Cleanup.COMPACT]
        configs = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name) for name in compacted]
        )
    finally:
        await admin.close()
    for registered in TOPICS:
        assert described[registered.name]["error_code"] == 0, registered.name
        assert len(described[registered.name]["partitions"]) == registered.partitions, registered.name
    policies = {
        resource[3]: {entry[0]: entry[1] for entry in resource[4]}["cleanup.policy"]
        for response in configs
        for resource in response.resources
    }
    assert policies == {name: "compact" for name in compacted}


async def test_a_message_goes_through_the_broker_keyed_by_account(stack):
    account = f"ba_{uuid.uuid4().hex[:8]}"
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap_servers, acks="all", enable_idempotence=True)
    consumer = AIOKafkaConsumer(
        "usage.recorded",
        bootstrap_servers=stack.kafka_bootstrap_servers,
        group_id=f"stack-test-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await producer.start()
    await consumer.start()
    try:
        sent = await producer.send_and_wait("usage.recorded", key=account.encode(), value=b'{"quantity": "1.5"}')
        received = None
        async for message in consumer:
            if message.key == account.encode():
                received = message
                break
        assert received is not None
        assert received.value == b'{"quantity": "1.5"}'
        assert (received.partition, received.offset) == (sent.partition, sent.offset)
    finally:
        await consumer.stop()
        await producer.stop()


async def test_topics_are_never_created_by_producing_to_them(stack):
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap_servers, request_timeout_ms=3000)
    await producer.start()
    try:
        with pytest.raises(UnknownTopicOrPartitionError):
            await producer.send_and_wait("not.registered", b"x")
    finally:
        await producer.stop()
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap_servers)
    await admin.start()
    try:
        assert "not.registered" not in await admin.list_topics()
    finally:
        await admin.close()


def test_a_cluster_id_never_starts_with_a_dash_which_the_storage_tool_would_take_for_an_option():
    from devstack.kafka import new_cluster_id

    draws = iter([bytes([0xF8]) + bytes(15), bytes([0x10]) + bytes(15)])  # the first encodes to "-..."
    assert new_cluster_id(lambda: next(draws)) == "EAAAAAAAAAAAAAAAAAAAAA"
    ids = {new_cluster_id() for _ in range(2_000)}
    assert len(ids) == 2_000 and not any(i.startswith("-") for i in ids) and {len(i) for i in ids} == {22}
