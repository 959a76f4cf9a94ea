"""Kafka subscribers of the notifications service (consumer group "notifications")."""

from faststream.kafka import KafkaRouter

router = KafkaRouter()
