"""The envelope: what producers write is exactly what consumers read back."""

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import billing_contracts.envelope as envelope
import pytest
from billing_contracts import Envelope, Event, InvalidEvent, InvoicePaymentDueV1, new_envelope, new_event_id, parse_event
from pydantic import ValidationError

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_every_event_round_trips_through_bytes(any_event: Event) -> None:
    envelope = new_envelope(any_event, source="/billing/tests")

    parsed = parse_event(envelope.to_bytes())

    assert parsed == envelope
    assert type(parsed.data) is type(any_event)


def test_a_usage_quantity_survives_exactly(make_usage) -> None:
    envelope = new_envelope(make_usage(quantity=Decimal("0.000001")), source="/billing/tests")
    value = envelope.to_bytes()

    assert json.loads(value)["data"]["quantity"] == "0.000001"
    assert parse_event(value).data.quantity == Decimal("0.000001")
    assert str(parse_event(value).data.quantity) == "0.000001"


def test_tiny_quantities_are_written_without_exponent(make_usage) -> None:
    value = new_envelope(make_usage(quantity=Decimal("1E-7")), source="/billing/tests").to_bytes()

    assert json.loads(value)["data"]["quantity"] == "0.0000001"


def test_the_attributes_come_from_the_event(make_usage) -> None:
    usage = make_usage()
    envelope = new_envelope(usage, source="/billing/metering", traceparent=TRACEPARENT)

    assert envelope.specversion == "1.0"
    assert envelope.type == "usage.recorded"
    assert envelope.schemaversion == 1
    assert envelope.subject == usage.billing_account_id
    assert envelope.kafka_key() == usage.billing_account_id.encode()
    assert envelope.time == usage.occurred_at
    assert envelope.datacontenttype == "application/json"
    assert isinstance(envelope.id, UUID)
    assert parse_event(envelope.to_bytes()).traceparent == TRACEPARENT


def test_a_given_event_id_is_kept_so_a_retried_send_is_deduplicated(make_usage) -> None:
    event_id = UUID("0b9a2d4e-5c1f-4a7e-9d3b-6f2e8c1a7b40")

    first = new_envelope(make_usage(), source="/billing/metering", event_id=event_id)
    retry = new_envelope(make_usage(), source="/billing/metering", event_id=event_id)

    assert first.id == retry.id == event_id


def test_new_ids_are_version_7_uuids_in_the_order_they_were_made(make_usage, monkeypatch) -> None:
    """Time-ordered ids land next to each other in consumers' inbox index (RFC 9562's layout)."""
    made = []
    for millisecond in (1_795_000_000_000, 1_795_000_000_001, 1_795_000_000_002):
        monkeypatch.setattr(envelope, "time_ns", lambda ms=millisecond: ms * 1_000_000 + 999_999)
        made += [new_event_id() for _ in range(50)]
    assert {(i.version, i.variant) for i in made} == {(7, "specified in RFC 4122")}
    assert [i.int >> 80 for i in made] == sorted(i.int >> 80 for i in made)
    assert [i.int >> 80 for i in made[::50]] == [1_795_000_000_000, 1_795_000_000_001, 1_795_000_000_002]
    assert len(set(made)) == 150
    monkeypatch.undo()
    assert new_envelope(make_usage(), source="/tests").id.version == 7


def test_absent_trace_context_is_left_out_of_the_message(make_usage) -> None:
    written = json.loads(new_envelope(make_usage(), source="/billing/tests").to_bytes())

    assert "traceparent" not in written and "tracestate" not in written
    assert written["specversion"] == "1.0"


def test_an_event_without_its_own_time_is_stamped_now() -> None:
    due = InvoicePaymentDueV1(
        invoice_id="inv_1", invoice_number="INV-1", billing_account_id="ba_1", amount=100, currency="EUR",
        due_at=datetime(2026, 6, 1, tzinfo=UTC),
    )
    before = datetime.now(UTC)

    envelope = new_envelope(due, source="/billing/invoicing")

    assert before <= envelope.time <= datetime.now(UTC)


def test_times_are_converted_to_utc(make_usage) -> None:
    berlin = timezone(timedelta(hours=2))
    usage = make_usage(occurred_at=datetime(2026, 5, 1, 14, 0, tzinfo=berlin))

    assert usage.occurred_at == datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert usage.occurred_at.utcoffset() == timedelta(0)
    assert json.loads(new_envelope(usage, source="/t").to_bytes())["time"] == "2026-05-01T12:00:00Z"


def test_naive_datetimes_are_refused(make_usage) -> None:
    with pytest.raises(ValidationError, match="timezone"):
        make_usage(occurred_at=datetime(2026, 5, 1, 12, 0))
    with pytest.raises(ValidationError, match="timezone"):
        new_envelope(make_usage(), source="/t", occurred_at=datetime(2026, 5, 1, 12, 0))


def test_a_malformed_traceparent_is_refused(make_usage) -> None:
    with pytest.raises(ValidationError, match="traceparent"):
        new_envelope(make_usage(), source="/t", traceparent="not-a-trace")


def test_parse_event_reads_str_and_dict_as_well_as_bytes(make_usage) -> None:
    envelope = new_envelope(make_usage(), source="/billing/tests")

    assert parse_event(envelope.to_bytes().decode()) == envelope
    assert parse_event(json.loads(envelope.to_bytes())) == envelope


def test_unknown_attributes_and_fields_are_ignored(make_usage) -> None:
    envelope = new_envelope(make_usage(), source="/billing/tests")
    message = json.loads(envelope.to_bytes())
    message["partitionkey"] = "ba_7Hq2kLm9"
    message["data"]["added_in_a_later_revision"] = "ignored"

    assert parse_event(message) == envelope


def test_the_subject_must_be_the_events_billing_account(make_usage) -> None:
    message = json.loads(new_envelope(make_usage(), source="/t").to_bytes())
    message["subject"] = "ba_someone_else"

    with pytest.raises(InvalidEvent, match=r"^data: .*is not the subject 'ba_someone_else'"):
        parse_event(message)


def test_an_envelope_cannot_carry_an_event_of_another_type(make_usage) -> None:
    usage = make_usage()
    with pytest.raises(ValidationError, match="envelope of type 'invoice.paid'"):
        Envelope[type(usage)](
            specversion="1.0", id=UUID(int=1), type="invoice.paid", source="/t", time=usage.occurred_at,
            schemaversion=1, subject=usage.billing_account_id, data=usage,
        )
