"""Kafka subscribers of the payments service (consumer group "payments")."""

from faststream.kafka import KafkaRouter

router = KafkaRouter()
