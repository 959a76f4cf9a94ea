"""Contracts shared by every billing service: topics and event schemas. Schemas only."""

from billing_contracts.topics import TOPICS, Cleanup, Topic, topic

__all__ = ["TOPICS", "Cleanup", "Topic", "topic"]
