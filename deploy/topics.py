"""Create or update every Kafka topic of the contracts' registry (`billing_contracts.TOPICS`).

One tool for every place topics are provisioned: the compose one-shot, the Kubernetes Job,
and a person with a broker at hand:

    python deploy/topics.py                                   # KAFKA_BOOTSTRAP_SERVERS, or the local stack's
    python deploy/topics.py --bootstrap-servers kafka:9092 --replication-factor 3 \
                            --config min.insync.replicas=2
    python deploy/topics.py --dry-run                         # the plan as JSON; connects to nothing

What it does, idempotently:
- creates each missing topic with the registry's partitions and configuration
  (`Topic.config()`: cleanup policy, retention) plus any `--config` given;
- grows a topic whose partition count is below the registry's (partitions never shrink:
  a topic with more is reported and left alone, since shrinking would reorder keys);
- sets the configuration of an existing topic to exactly the wanted one when it differs
  (AlterConfigs replaces the topic's dynamic configuration: the registry owns these topics).

It needs only `billing-contracts` and `aiokafka`, both in every service image (the image
copies this file to /app/topics.py). Exit code 0 when every topic matches the registry.
"""

import argparse
import asyncio
import json
import os
import re
import sys
import time
from dataclasses import dataclass

from billing_contracts import TOPICS, Topic

LOCAL_KAFKA = "127.0.0.1:19092"


@dataclass(frozen=True)
class WantedTopic:
    name: str
    partitions: int
    replication_factor: int
    config: dict[str, str]


def plan(topics: tuple[Topic, ...] = TOPICS, replication_factor: int = 1,
         extra_config: dict[str, str] | None = None) -> list[WantedTopic]:
    """What the cluster should hold: one entry per registered topic."""
    return [
        WantedTopic(t.name, t.partitions, replication_factor, {**t.config(), **(extra_config or {})})
        for t in topics
    ]


def _set_on_topic(entry: tuple) -> bool:
    """Whether a DescribeConfigs entry was set on the topic itself, not inherited from the broker:
    v0 of the response says `is_default` (a bool), later ones `config_source` (1: the topic's own)."""
    source = entry[3]
    return not source if isinstance(source, bool) else source == 1


def _parse_config(pairs: list[str]) -> dict[str, str]:
    config = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--config takes key=value, not {pair!r}")
        config[key.strip()] = value.strip()
    return config


async def _admin(bootstrap: str, wait_seconds: float):  # noqa: ANN202 - an AIOKafkaAdminClient
    from aiokafka.admin import AIOKafkaAdminClient

    deadline = time.monotonic() + wait_seconds
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
        try:
            await admin.start()
            await admin.list_topics()
            return admin
        except Exception as error:  # noqa: BLE001 - the broker is not up yet
            await admin.close()
            if time.monotonic() > deadline:
                raise SystemExit(f"Kafka at {bootstrap} did not answer within {wait_seconds:.0f}s: {error}") from None
            print(f"waiting for Kafka at {bootstrap} ({type(error).__name__})", file=sys.stderr)
            await asyncio.sleep(2)


async def apply(bootstrap: str, wanted: list[WantedTopic], wait_seconds: float = 120.0) -> list[str]:
    """Bring the cluster to `wanted`; returns one line per change (empty: nothing to do)."""
    from aiokafka.admin import NewPartitions, NewTopic
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
    from aiokafka.errors import InvalidPartitionsError, for_code

    admin = await _admin(bootstrap, wait_seconds)
    changes: list[str] = []
    try:
        existing = {meta["topic"]: len(meta["partitions"]) for meta in await admin.describe_topics()
                    if not meta["error_code"]}
        missing = [t for t in wanted if t.name not in existing]
        if missing:
            response = await admin.create_topics([
                NewTopic(t.name, num_partitions=t.partitions, replication_factor=t.replication_factor,
                         topic_configs=t.config)
                for t in missing
            ])
            for name, code, *rest in response.topic_errors:
                if code and for_code(code).__name__ != "TopicAlreadyExistsError":
                    raise SystemExit(f"creating {name} failed: {for_code(code).__name__} {rest[0] if rest else ''}")
            changes += [f"created {t.name} ({t.partitions} partitions, {t.config})" for t in missing]

        present = [t for t in wanted if t.name in existing]
        for t in present:
            if existing[t.name] >= t.partitions:
                continue
            try:
                await admin.create_partitions({t.name: NewPartitions(t.partitions)})
                changes.append(f"grew {t.name} from {existing[t.name]} to {t.partitions} partitions")
            except InvalidPartitionsError as error:
                # Metadata lags a growth done moments ago: the broker knows better.
                count = re.search(r"already has (\d+) partition", str(error))
                if not count or int(count.group(1)) < t.partitions:
                    raise
        for t in present:
            if existing[t.name] > t.partitions:
                print(f"warning: {t.name} has {existing[t.name]} partitions, more than the registry's "
                      f"{t.partitions}; partitions never shrink, left as is", file=sys.stderr)

        if present:
            described = await admin.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, t.name, None) for t in present])
            current: dict[str, dict[str, str]] = {}
            for response in described:
                for error_code, error_message, _type, name, entries, *_ in response.resources:
                    if error_code:
                        raise SystemExit(f"describing {name} failed: {error_message}")
                    current[name] = {entry[0]: entry[1] for entry in entries if _set_on_topic(entry)}
            stale = [t for t in present if any(current.get(t.name, {}).get(k) != v for k, v in t.config.items())
                     or set(current.get(t.name, {})) - set(t.config)]
            if stale:
                for response in await admin.alter_configs(
                        [ConfigResource(ConfigResourceType.TOPIC, t.name, t.config) for t in stale]):
                    for error_code, error_message, _type, name, *_ in response.resources:
                        if error_code:
                            raise SystemExit(f"configuring {name} failed: {error_message}")
                changes += [f"configured {t.name}: {t.config}" for t in stale]
    finally:
        await admin.close()
    return changes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", LOCAL_KAFKA))
    parser.add_argument("--replication-factor", type=int, default=int(os.environ.get("TOPIC_REPLICATION_FACTOR", "1")))
    parser.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                        help="extra topic configuration for every topic (e.g. min.insync.replicas=2)")
    parser.add_argument("--wait", type=float, default=120.0, help="seconds to wait for the broker to answer")
    parser.add_argument("--dry-run", action="store_true", help="print the plan as JSON and connect to nothing")
    args = parser.parse_args(argv)

    wanted = plan(TOPICS, args.replication_factor, _parse_config(args.config))
    if args.dry_run:
        print(json.dumps([t.__dict__ for t in wanted], indent=2))
        return 0
    changes = asyncio.run(apply(args.bootstrap_servers, wanted, args.wait))
    for line in changes:
        print(line)
    print(f"{len(wanted)} topics match the registry ({len(changes)} changes) on {args.bootstrap_servers}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
