"""Apache Kafka, the official broker, in single-node KRaft mode from its Maven Central jars."""

import asyncio
import base64
import logging
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from billing_contracts import Topic

from devstack.errors import StackError
from devstack.processes import ManagedProcess
from devstack.ports import HOST

KAFKA_VERSION = "4.1.1"
FILES = Path(__file__).parent / "kafka_files"


def find_java() -> str:
    java = shutil.which("java")
    problem = "none was found on PATH"
    if java:
        version = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
        match = re.search(r'version "(\d+)', version)
        if match and int(match.group(1)) >= 17:
            return java
        problem = f"the one on PATH is {match.group(1) if match else 'of unknown version'}"
    raise StackError(
        f"Kafka {KAFKA_VERSION} needs a Java runtime, version 17 or newer, and {problem}; install one "
        "(for example `apt-get install openjdk-17-jre-headless`) or set KAFKA_BOOTSTRAP_SERVERS to a "
        "running broker."
    )


def resolve_jars(cache_dir: Path) -> Path:
    """The broker's jars, fetched once by Maven and kept in the cache."""
    libs = cache_dir / f"kafka-{KAFKA_VERSION}"
    if (libs / ".complete").exists():
        return libs
    mvn = shutil.which("mvn")
    if not mvn:
        raise StackError(
            "Fetching Kafka's jars from Maven Central needs Maven (`mvn`) and it is not on PATH; "
            "install it (for example `apt-get install maven`) or set KAFKA_BOOTSTRAP_SERVERS to a running broker."
        )
    libs.mkdir(parents=True, exist_ok=True)
    log = cache_dir / "maven.log"
    with log.open("wb") as out:
        done = subprocess.run(
            [mvn, "-B", "-q", "-f", str(FILES / "pom.xml"), f"-Dkafka.version={KAFKA_VERSION}",
             "dependency:copy-dependencies", f"-DoutputDirectory={libs}", "-DincludeScope=runtime"],
            stdout=out, stderr=subprocess.STDOUT,
        )
    if done.returncode != 0:
        raise StackError(
            f"Maven could not fetch the jars of Kafka {KAFKA_VERSION} (its output is in {log}); "
            "check that Maven Central is reachable, or set KAFKA_BOOTSTRAP_SERVERS to a running broker."
        )
    (libs / ".complete").write_text(KAFKA_VERSION)
    return libs


def new_cluster_id(random_bytes=lambda: uuid.uuid4().bytes) -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64 without padding, as Kafka makes them.

    Like Kafka's own `Uuid.randomUuid`, it never starts with "-": the storage tool would read
    such an id as an option and refuse to format (one start in 64 failed that way).
    """
    while (cluster_id := base64.urlsafe_b64encode(random_bytes()).decode().rstrip("=")).startswith("-"):
        pass
    return cluster_id


class KafkaServer:
    def __init__(self, state_dir: Path, cache_dir: Path, port: int, controller_port: int,
                 settings: Mapping[str, str] | None = None) -> None:
        self.settings = dict(settings or {})
        self.state_dir = state_dir
        self.cache_dir = cache_dir
        self.port = port
        self.controller_port = controller_port
        self.process: ManagedProcess | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{HOST}:{self.port}"

    def preflight(self) -> None:
        find_java()

    def start(self) -> ManagedProcess:
        java = find_java()
        libs = resolve_jars(self.cache_dir)
        data = self.state_dir / "data"
        properties = self.state_dir / "server.properties"
        properties.parent.mkdir(parents=True, exist_ok=True)
        properties.write_text(self._server_properties(data))
        classpath = f"{libs}/*"
        if not (data / "meta.properties").exists():
            cluster_id = new_cluster_id()
            formatted = subprocess.run(
                [java, "-cp", classpath, "kafka.tools.StorageTool", "format", "--standalone",
                 "-t", cluster_id, "-c", str(properties)],
                capture_output=True, text=True,
            )
            if formatted.returncode != 0:
                raise StackError(f"Kafka could not format its storage in {data}: {formatted.stderr.strip()[-300:]}")
        self.process = ManagedProcess(
            "Kafka",
            [java, "-Xms256m", "-Xmx768m", "-XX:+UseG1GC", "-Djava.awt.headless=true",
             f"-Dlog4j2.configurationFile={FILES / 'log4j2.properties'}",
             "-cp", classpath, "kafka.Kafka", str(properties)],
            self.state_dir / "kafka.log",
        ).start()
        return self.process

    def _server_properties(self, data: Path) -> str:
        settings = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.bootstrap.servers": f"{HOST}:{self.controller_port}",
            "listeners": f"PLAINTEXT://{HOST}:{self.port},CONTROLLER://{HOST}:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://{HOST}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(data),
            # Topics come from the contracts' registry only.
            "auto.create.topics.enable": "false",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "12",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            # A lone broker: let consumer groups form at once instead of after 3 s.
            "group.initial.rebalance.delay.ms": "0",
            **self.settings,
        }
        return "".join(f"{key}={value}\n" for key, value in settings.items())


async def _broker_answers(bootstrap_servers: str) -> bool:
    # While the broker boots, every refused connection would be logged as an error.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=2000)
    try:
        await admin.start()
        await admin.list_topics()
        return True
    except Exception:  # noqa: BLE001 - not up yet
        return False
    finally:
        await admin.close()


def broker_answers(bootstrap_servers: str) -> bool:
    return asyncio.run(_broker_answers(bootstrap_servers))


async def _ensure_topics(bootstrap_servers: str, topics: Iterable[Topic]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = {
            meta["topic"]: len(meta["partitions"])
            for meta in await admin.describe_topics()
            if not meta["error_code"]
        }
        wanted = list(topics)
        missing = [
            NewTopic(t.name, num_partitions=t.partitions, replication_factor=1, topic_configs=t.config())
            for t in wanted
            if t.name not in existing
        ]
        if missing:
            await admin.create_topics(missing)
        # Partitions can only grow; a registry that asks for more gets them.
        grow = {t.name: NewPartitions(t.partitions) for t in wanted if existing.get(t.name, t.partitions) < t.partitions}
        if grow:
            await admin.create_partitions(grow)
    finally:
        await admin.close()


def ensure_topics(bootstrap_servers: str, topics: Iterable[Topic]) -> None:
    """Create every registered topic that is missing, with its partitions and cleanup policy."""
    asyncio.run(_ensure_topics(bootstrap_servers, topics))


async def start_group_at_end(bootstrap_servers: str, group: str, topics: Iterable[str]) -> None:
    """Commit `group`'s offsets at the topics' current ends, as if it had read the past.

    Tests on a broker shared with other tests start their consumer groups here, so that they
    read only what they publish themselves.
    """
    from aiokafka import AIOKafkaConsumer, TopicPartition

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    partitions = [TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.commit(dict(await consumer.end_offsets(partitions)))
    finally:
        await consumer.stop()
