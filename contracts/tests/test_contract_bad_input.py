"""Messages no consumer can process: each raises the ContractError a dead letter names."""

import json
from decimal import Decimal

import pytest
from billing_contracts import (
    ContractError,
    InvalidEvent,
    MalformedMessage,
    UnknownEventType,
    UnknownSchemaVersion,
    new_envelope,
    parse_event,
)


@pytest.fixture
def message(make_usage) -> dict:
    """A valid usage.recorded message as a consumer receives it, ready to be spoiled."""
    return json.loads(new_envelope(make_usage(), source="/billing/metering").to_bytes())


def raw(message: dict) -> bytes:
    return json.dumps(message).encode()


@pytest.mark.parametrize(
    "value",
    [b"{not json", b"\xff\xfe", b"", b"[1, 2]", b'"usage"', b'{"quantity": NaN}', b'{"quantity": Infinity}'],
)
def test_what_is_not_a_json_object_is_malformed(value: bytes) -> None:
    with pytest.raises(MalformedMessage) as raised:
        parse_event(value)
    assert raised.value.reason == "malformed"
    assert isinstance(raised.value, ContractError)


def test_a_missing_envelope_attribute_is_named(message: dict) -> None:
    del message["id"]

    with pytest.raises(InvalidEvent) as raised:
        parse_event(raw(message))

    assert str(raised.value) == "id: Field required"
    assert [problem.location for problem in raised.value.problems] == ["id"]


def test_an_unknown_event_type(message: dict) -> None:
    message["type"] = "usage.forgotten"

    with pytest.raises(UnknownEventType) as raised:
        parse_event(raw(message))

    assert raised.value.event_type == "usage.forgotten"


def test_an_unknown_schema_version(message: dict) -> None:
    message["schemaversion"] = 99

    with pytest.raises(UnknownSchemaVersion) as raised:
        parse_event(raw(message))

    assert (raised.value.event_type, raised.value.schema_version, raised.value.known) == ("usage.recorded", 99, (1,))
    assert "no schema version 99" in str(raised.value)


def test_a_negative_quantity_is_named(message: dict) -> None:
    message["data"]["quantity"] = "-1"

    with pytest.raises(InvalidEvent) as raised:
        parse_event(raw(message))

    assert str(raised.value) == "data.quantity: Input should be greater than or equal to 0"
    assert raised.value.event_type == "usage.recorded"


def test_a_non_numeric_quantity_is_named(message: dict) -> None:
    message["data"]["quantity"] = "abc"

    with pytest.raises(InvalidEvent, match=r"^data\.quantity: Input should be a valid decimal$"):
        parse_event(raw(message))


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_a_quantity_must_be_finite(message: dict, number: str) -> None:
    message["data"]["quantity"] = number

    with pytest.raises(InvalidEvent, match=r"^data\.quantity: Input should be a finite number$"):
        parse_event(raw(message))


def test_a_json_number_quantity_is_read_as_an_exact_decimal(message: dict) -> None:
    value = raw(message).replace(b'"quantity": "0.000001"', b'"quantity": 1.5')
    precise = raw(message).replace(b'"quantity": "0.000001"', b'"quantity": 1.000000000000000001')

    assert parse_event(value).data.quantity == Decimal("1.5")
    assert parse_event(precise).data.quantity == Decimal("1.000000000000000001")


def test_every_bad_field_is_named_with_its_path(message: dict) -> None:
    message["data"]["meter"] = "Compute VCPU"
    message["data"]["occurred_at"] = "2026-05-01T12:00:00"
    del message["data"]["project_id"]

    with pytest.raises(InvalidEvent) as raised:
        parse_event(raw(message))

    assert {problem.location for problem in raised.value.problems} == {
        "data.meter",
        "data.occurred_at",
        "data.project_id",
    }
    assert "data.occurred_at: Input should have timezone info" in str(raised.value)


def test_nested_fields_are_located_by_index(sample_events) -> None:
    account = sample_events["billing_account.changed"]
    message = json.loads(new_envelope(account, source="/billing/accounts").to_bytes())
    message["data"]["members"][0]["role"] = "emperor"

    with pytest.raises(InvalidEvent, match=r"^data\.members\[0\]\.role: Input should be 'owner', 'admin' or 'viewer'$"):
        parse_event(raw(message))


def test_a_float_amount_of_money_is_refused(message: dict) -> None:
    message.update(type="charge.succeeded")
    message["data"] = {
        "billing_account_id": message["subject"], "invoice_id": "inv_1", "attempt": 1, "amount": "42.5",
        "currency": "eur", "payment_intent_id": "pi_1", "paid_at": "2026-05-01T00:00:00Z",
    }
    value = raw(message).replace(b'"42.5"', b"42.5")

    with pytest.raises(InvalidEvent) as raised:
        parse_event(value)

    assert {problem.location for problem in raised.value.problems} == {"data.amount", "data.currency"}
