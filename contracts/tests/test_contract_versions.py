"""Two schema versions of one event type on one topic, read side by side."""

import shutil
from pathlib import Path
from typing import ClassVar

import pytest
from billing_contracts import EVENTS, Event, UnknownSchemaVersion, UsageRecordedV1, new_envelope, parse_event
from billing_contracts.registry import SCHEMAS_DIR, check, generate, version_dir
from billing_contracts.values import Identifier, MeterCode, Quantity, UtcDatetime
from pydantic import Field


class UsageRecordedV2(Event):
    """A breaking change: usage is attributed to a resource, and the meter field is renamed."""

    event_type: ClassVar[str] = "usage.recorded"
    schema_version: ClassVar[int] = 2
    occurred_at_field: ClassVar[str | None] = "occurred_at"

    project_id: Identifier = Field(description="The project.", examples=["prj_4kT9wQ"])
    resource_id: Identifier = Field(description="The resource that consumed it.", examples=["vm_12"])
    meter_code: MeterCode = Field(description="The meter code.", examples=["compute.vcpu_hours"])
    quantity: Quantity = Field(description="How much.", examples=["1.5"])
    occurred_at: UtcDatetime = Field(description="When.", examples=["2026-05-01T12:00:00Z"])


REGISTRY = EVENTS.with_events(UsageRecordedV2)


def usage_v2(make_usage) -> UsageRecordedV2:
    v1 = make_usage()
    return UsageRecordedV2(
        billing_account_id=v1.billing_account_id,
        project_id=v1.project_id,
        resource_id="vm_12",
        meter_code=v1.meter,
        quantity=v1.quantity,
        occurred_at=v1.occurred_at,
    )


def test_a_consumer_reads_v1_and_v2_messages_from_one_topic(make_usage) -> None:
    stream = [
        new_envelope(make_usage(), source="/billing/metering").to_bytes(),
        new_envelope(usage_v2(make_usage), source="/billing/metering").to_bytes(),
        new_envelope(make_usage(quantity=2), source="/billing/metering").to_bytes(),
    ]

    parsed = [parse_event(value, REGISTRY) for value in stream]

    assert [type(envelope.data) for envelope in parsed] == [UsageRecordedV1, UsageRecordedV2, UsageRecordedV1]
    assert [envelope.schemaversion for envelope in parsed] == [1, 2, 1]
    assert {envelope.type for envelope in parsed} == {"usage.recorded"}
    assert parsed[1].data.resource_id == "vm_12"


def test_a_consumer_that_only_knows_v1_dead_letters_v2(make_usage) -> None:
    value = new_envelope(usage_v2(make_usage), source="/billing/metering").to_bytes()

    with pytest.raises(UnknownSchemaVersion) as raised:
        parse_event(value)

    assert raised.value.known == (1,)


def test_the_registry_lists_both_versions() -> None:
    assert REGISTRY.versions("usage.recorded") == (1, 2)
    assert REGISTRY.lookup("usage.recorded", 2) is UsageRecordedV2
    assert EVENTS.versions("usage.recorded") == (1,)


def test_v2_gets_its_own_schema_history_beside_v1(tmp_path: Path) -> None:
    schemas = Path(shutil.copytree(SCHEMAS_DIR, tmp_path / "schemas"))

    generated = generate(schemas, REGISTRY)

    assert generated.written == (version_dir(schemas, "usage.recorded", 2) / "0001.json",)
    assert check(schemas, REGISTRY) == []
    assert [str(finding) for finding in check(schemas)] == [
        "schemas/usage.recorded/v2: committed schema version without an event class"
    ]
