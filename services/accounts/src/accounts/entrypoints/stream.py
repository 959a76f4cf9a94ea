"""Kafka subscribers of the accounts service (consumer group "accounts")."""

from faststream.kafka import KafkaRouter

router = KafkaRouter()
