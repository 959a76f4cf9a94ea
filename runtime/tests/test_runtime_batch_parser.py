"""A batch reaches the kit as FastStream's message carrying every record, and FastStream's parser
reads only the first one (it would decode every record's headers for nothing)."""

from types import SimpleNamespace

from billing_runtime.messaging.subscriptions import _records_as_they_are


async def test_the_batch_message_carries_every_record_and_only_the_first_is_parsed():
    records = tuple(SimpleNamespace(offset=n, headers=((f"h{n}", b"v"),)) for n in range(5))
    parsed = []

    async def faststream_parser(batch):
        parsed.append(batch)
        return SimpleNamespace(raw_message=batch, body=[b"..."] * len(batch), consumer="the consumer")

    message = await _records_as_they_are(records, faststream_parser)

    assert parsed == [records[:1]]
    assert message.raw_message == records and message.consumer == "the consumer"
