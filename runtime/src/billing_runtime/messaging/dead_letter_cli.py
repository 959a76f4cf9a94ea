"""List and replay dead letters.

    python -m billing_runtime.messaging.dead_letter_cli list usage.recorded
    python -m billing_runtime.messaging.dead_letter_cli replay usage.recorded --at 0:17 [--value-file fixed.json]

`list` shows each dead letter of a topic with its position (partition:offset in the
dead-letter topic), reason and error. `replay` publishes the chosen one back to its original
topic with its key and original headers (the event id is unchanged, so a replay of something
that did have its effect has none again); `--value-file` replaces the message with a fixed one.
The broker is KAFKA_BOOTSTRAP_SERVERS, or the local stack's.
"""

import argparse
import asyncio
import os
import sys
from pathlib import Path

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from billing_contracts import dead_letter_topic

from billing_runtime.messaging.dead_letters import HEADER_PREFIX
from billing_runtime.messaging.producer import create_producer
from billing_runtime.settings import LOCAL_KAFKA


async def read_dead_letters(bootstrap: str, topic: str) -> list[ConsumerRecord]:
    """Every dead letter of `topic` now in Kafka, without joining or moving any consumer group."""
    name = dead_letter_topic(topic).name
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([name])
    finally:
        await admin.close()
    partitions = [TopicPartition(name, p["partition"]) for p in described["partitions"]]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found: list[ConsumerRecord] = []
        async def behind() -> bool:
            return any([await consumer.position(p) < ends[p] for p in partitions])

        while await behind():
            batch = await consumer.getmany(*partitions, timeout_ms=1000)
            found += [record for records in batch.values() for record in records]
        return sorted(found, key=lambda r: (r.partition, r.offset))
    finally:
        await consumer.stop()


def why(record: ConsumerRecord) -> dict[str, str]:
    return {name[len(HEADER_PREFIX):]: value.decode() for name, value in record.headers if name.startswith(HEADER_PREFIX)}


async def replay(bootstrap: str, record: ConsumerRecord, value: bytes | None = None) -> None:
    reason = why(record)
    headers = [(n, v) for n, v in record.headers if not n.startswith(HEADER_PREFIX)]
    headers.append((f"{HEADER_PREFIX}replayed_from", f"{record.topic}:{record.partition}:{record.offset}".encode()))
    producer = create_producer(bootstrap, "dead-letter-replay")
    await producer.start()
    try:
        await producer.send_and_wait(reason["original_topic"], value if value is not None else record.value,
                                     key=record.key, headers=headers)
    finally:
        await producer.stop()


async def _main(args: argparse.Namespace) -> int:
    records = await read_dead_letters(args.bootstrap, args.topic)
    if args.command == "list":
        for record in records:
            reason = why(record)
            print(f"{record.partition}:{record.offset}  key={(record.key or b'').decode()}  group={reason.get('consumer_group')}  "
                  f"from {reason.get('original_partition')}:{reason.get('original_offset')}  "
                  f"[{reason.get('reason')}] {reason.get('error')}")
        print(f"{len(records)} dead letter(s) on {dead_letter_topic(args.topic).name}")
        return 0
    partition, offset = (int(part) for part in args.at.split(":"))
    chosen = next((r for r in records if (r.partition, r.offset) == (partition, offset)), None)
    if chosen is None:
        print(f"error: no dead letter at {args.at} on {dead_letter_topic(args.topic).name}; `list` shows them.", file=sys.stderr)
        return 2
    await replay(args.bootstrap, chosen, args.value_file.read_bytes() if args.value_file else None)
    print(f"replayed {args.at} to {why(chosen)['original_topic']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dead-letters", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", LOCAL_KAFKA))
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list").add_argument("topic")
    again = commands.add_parser("replay")
    again.add_argument("topic")
    again.add_argument("--at", required=True, help="partition:offset of the dead letter, as `list` shows it")
    again.add_argument("--value-file", type=Path, help="publish this (fixed) message instead of the original")
    return asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
