"""Kafka subscribers of the invoicing service (consumer group "invoicing")."""

from faststream.kafka import KafkaRouter

router = KafkaRouter()
