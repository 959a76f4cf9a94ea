"""The consumer's fast reading of a message gives what `parse_event` gives, or its error."""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from billing_contracts import ContractError, UsageRecordedV1, new_envelope, parse_event

from billing_runtime.messaging.reading import read_delivery
from billing_runtime.messaging.dead_letters import Delivery

USAGE = new_envelope(UsageRecordedV1(billing_account_id="ba_1", project_id="prj_1", meter="compute.vcpu_hours",
                                     quantity=Decimal("12.50"), occurred_at=datetime(2026, 11, 2, 3, 4, 5, 123456, UTC),
                                     properties={"region": "eu-west-1"}), source="/tests").to_bytes()


def _on_usage_topic(value: bytes) -> Delivery:
    return Delivery("usage.recorded", 0, 7, b"ba_1", value)


def _with_quantity(literal: bytes) -> bytes:
    return re.sub(rb'"quantity":"[^"]*"', b'"quantity":' + literal, USAGE)


def test_a_well_formed_message_reads_as_parse_event_reads_it():
    read = read_delivery(_on_usage_topic(USAGE))
    assert read == parse_event(USAGE)
    assert type(read) is type(parse_event(USAGE))
    assert read.data.quantity == Decimal("12.50")


@pytest.mark.parametrize("literal", [b"12.5", b"1e2", b"0.10000000000000000555", b"3"])
def test_json_numbers_are_read_exactly_as_the_contracts_read_them(literal):
    value = _with_quantity(literal)
    try:
        expected = parse_event(value)
    except ContractError as error:
        with pytest.raises(type(error), match=re.escape(str(error))):
            read_delivery(_on_usage_topic(value))
    else:
        assert read_delivery(_on_usage_topic(value)) == expected
        assert read_delivery(_on_usage_topic(value)).data.quantity == Decimal(literal.decode())


def test_a_number_with_more_decimals_than_allowed_is_refused_not_rounded():
    with pytest.raises(ContractError, match="quantity"):
        read_delivery(_on_usage_topic(_with_quantity(b"0.1000000000000000055511151231257827")))


@pytest.mark.parametrize("broken", [
    USAGE.replace(b'"meter":"compute.vcpu_hours",', b""),
    USAGE.replace(b'"schemaversion":1', b'"schemaversion":9'),
    b"not json", b"[1, 2]",
])
def test_an_unreadable_message_gets_the_contracts_error(broken):
    with pytest.raises(ContractError) as expected:
        parse_event(broken)
    with pytest.raises(type(expected.value), match=re.escape(str(expected.value))):
        read_delivery(_on_usage_topic(broken))


def test_an_event_of_another_type_on_the_topic_reads_as_parse_event_reads_it():
    assert read_delivery(Delivery("charge.failed", 0, 1, None, USAGE)) == parse_event(USAGE)
