"""Kafka and PostgreSQL from testcontainers, on a machine where a Docker engine answers.

`BILLING_STACK=local` keeps the local processes even then; `BILLING_STACK=containers` insists.
"""

import shutil
import subprocess
from collections.abc import Mapping

from devstack.errors import StackError

KAFKA_IMAGE = "apache/kafka:4.1.1"
POSTGRES_IMAGE = "postgres:16-alpine"


def docker_engine_answers() -> bool:
    docker = shutil.which("docker")
    if not docker:
        return False
    try:
        return subprocess.run([docker, "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def wanted(environ: Mapping[str, str]) -> bool:
    mode = environ.get("BILLING_STACK", "auto")
    if mode == "local":
        return False
    answers = docker_engine_answers()
    if mode == "containers" and not answers:
        raise StackError("BILLING_STACK=containers asks for Docker, but no Docker engine answers; start one or set BILLING_STACK=local.")
    return answers


class Containers:
    def __init__(self) -> None:
        self._running: list[object] = []

    def kafka(self, settings: Mapping[str, str] | None = None) -> str:
        from testcontainers.kafka import KafkaContainer

        container = KafkaContainer(KAFKA_IMAGE).with_kraft()
        for name, value in (settings or {}).items():  # the image reads KAFKA_<NAME> as `name`
            container.with_env("KAFKA_" + name.upper().replace(".", "_"), value)
        container.start()
        self._running.append(container)
        return container.get_bootstrap_server()

    def postgres(self) -> str:
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer(POSTGRES_IMAGE, driver=None)
        container.start()
        self._running.append(container)
        return container.get_connection_url()

    def stop(self) -> None:
        while self._running:
            self._running.pop().stop()
