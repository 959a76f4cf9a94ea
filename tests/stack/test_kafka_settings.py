"""Broker settings given to the stack go over its own in the broker it starts."""

from pathlib import Path

from devstack.kafka import KafkaServer


def properties(server: KafkaServer) -> dict[str, str]:
    lines = server._server_properties(Path("/data")).splitlines()
    return dict(line.split("=", 1) for line in lines)


def test_the_stack_forms_groups_at_once_unless_told_otherwise():
    assert properties(KafkaServer(Path("/s"), Path("/c"), 1, 2))["group.initial.rebalance.delay.ms"] == "0"
    told = KafkaServer(Path("/s"), Path("/c"), 1, 2, {"group.initial.rebalance.delay.ms": "3000"})
    assert properties(told)["group.initial.rebalance.delay.ms"] == "3000"
    assert properties(told)["auto.create.topics.enable"] == "false"  # the rest kept
