"""A poison message and an invalid one: both put aside with their reasons, the rest processed,
and a replay of the fixed ones works. Against the real broker and database."""

import asyncio
import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from aiokafka import AIOKafkaProducer
from billing_contracts import UsageRecordedV1, new_envelope
from billing_runtime.messaging.dead_letter_cli import read_dead_letters, replay, why
from sqlalchemy import text

from .conftest import start_group_at_end
from .usage_totals import POISON_METER, UsageTotals


def usage(account: str, quantity: str, meter: str = "compute.vcpu_hours"):
    event = UsageRecordedV1(billing_account_id=account, project_id="prj_1", meter=meter,
                            quantity=Decimal(quantity), occurred_at=datetime(2026, 11, 2, tzinfo=UTC))
    return new_envelope(event, source="/tests/upstream")


async def total(engine, account: str) -> Decimal:
    async with engine.connect() as connection:
        value = (await connection.execute(text("SELECT total FROM account_usage WHERE account = :a"), {"a": account})).scalar()
    return value or Decimal(0)


async def eventually(check, timeout: float = 30.0):
    async with asyncio.timeout(timeout):
        while not (result := await check()):
            await asyncio.sleep(0.2)
    return result


async def test_poison_and_invalid_messages_are_put_aside_and_the_partition_moves_on(engine, stack):
    bootstrap = stack.kafka_bootstrap_servers
    prefix = f"ba_dl{uuid.uuid4().hex[:6]}"
    account = f"{prefix}_1"
    first, poison, last = usage(account, "1.25"), usage(account, "100", POISON_METER), usage(account, "2.5")
    invalid = json.loads(usage(account, "1").to_bytes())
    invalid["data"]["quantity"] = "-3"
    no_id = json.loads(usage(account, "1").to_bytes())
    del no_id["id"]
    future_version = {**json.loads(usage(account, "1").to_bytes()), "schemaversion": 99}
    not_a_number = json.loads(usage(account, "1").to_bytes())
    not_a_number["data"]["quantity"] = "abc"
    messages = [first.to_bytes(), b"{not json", poison.to_bytes(), json.dumps(invalid).encode(), last.to_bytes(),
                first.to_bytes(), *(json.dumps(m).encode() for m in (no_id, future_version, not_a_number))]

    group = f"dl-test-{prefix}"
    await start_group_at_end(bootstrap, group)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    for value in messages:  # one key: one partition, in this order
        await producer.send_and_wait("usage.recorded", value, key=account.encode())
    await producer.stop()

    totals = UsageTotals(engine, bootstrap, group, prefix, batch=False)
    await totals.start()
    try:
        # The messages after the bad ones are processed; the duplicate of `first` counts once.
        assert await eventually(lambda: _equals(total(engine, account), Decimal("3.75")))

        async def mine():
            found = [r for r in await read_dead_letters(bootstrap, "usage.recorded")
                     if r.key == account.encode() and why(r)["consumer_group"] == group]
            return found if len(found) == 6 else None

        dead = await eventually(mine)
        reasons = [why(record) for record in dead]
        assert [r["reason"] for r in reasons] == [
            "malformed", "handler_failed", "invalid_event", "invalid_event", "unknown_schema_version", "invalid_event"]
        assert reasons[2]["error"].startswith("data.quantity: ")
        assert reasons[3]["error"].startswith("id: ")
        assert reasons[4]["error"].startswith("schemaversion: ")
        assert reasons[5]["error"].startswith("data.quantity: ")
        assert reasons[1]["error"] == f"ValueError: meter {POISON_METER} cannot be rated"
        assert reasons[1]["attempts"] == "3"
        assert {r["original_topic"] for r in reasons} == {"usage.recorded"}
        assert [r.value for r in dead] == [messages[i] for i in (1, 2, 3, 6, 7, 8)]
        offsets = [int(r["original_offset"]) for r in reasons]
        assert offsets == sorted(offsets) and len(set(offsets)) == 6

        listed = subprocess.run(
            [sys.executable, "-m", "billing_runtime.messaging.dead_letter_cli", "--bootstrap", bootstrap, "list", "usage.recorded"],
            capture_output=True, text=True, timeout=60,
        )
        mine_listed = [line for line in listed.stdout.splitlines() if f"key={account}  group={group} " in line]
        assert [line.split("[")[1].split("]")[0] for line in mine_listed] == [r["reason"] for r in reasons]

        # The cause is fixed; the operator replays the poison as it was, and the invalid one corrected.
        totals.poison_cured = True
        await replay(bootstrap, dead[1])
        invalid["data"]["quantity"] = "3"
        await replay(bootstrap, dead[2], json.dumps(invalid).encode())
        assert await eventually(lambda: _equals(total(engine, account), Decimal("106.75")))
        await asyncio.sleep(1)
        assert await total(engine, account) == Decimal("106.75")
    finally:
        await totals.stop()


async def _equals(value, expected) -> bool:
    return await value == expected
