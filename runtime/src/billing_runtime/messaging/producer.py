"""The one Kafka producer of a service process, shared by the outbox relay and the dead letters."""

from typing import Any

from aiokafka import AIOKafkaProducer


class Producer:
    """Idempotent with acks=all: a retried send is written once, and only once all replicas have it.

    Built without connecting (and without an event loop, which aiokafka's producer needs at
    construction): the underlying producer comes to life in `start()`.
    """

    def __init__(self, bootstrap_servers: str, client_id: str) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.client_id = client_id
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap_servers,
            client_id=self.client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
        )
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    @property
    def started(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise RuntimeError("the producer is not started")
        return self._producer

    async def send(self, topic: str, value: bytes, **options: Any) -> Any:
        """Queue a message; returns a future that resolves when Kafka acknowledged it."""
        return await self.started.send(topic, value, **options)

    async def send_and_wait(self, topic: str, value: bytes, **options: Any) -> Any:
        return await self.started.send_and_wait(topic, value, **options)


def create_producer(bootstrap_servers: str, client_id: str) -> Producer:
    return Producer(bootstrap_servers, client_id)
