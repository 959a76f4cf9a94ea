"""A batch's ids go into the inbox by COPY, and a COPY that meets an id already there falls back
to the careful INSERT without losing the transaction. Against the real database."""

import uuid

import pytest
from billing_runtime.messaging import inbox as inbox_module
from billing_runtime.messaging.inbox import Inbox, first_deliveries
from sqlalchemy import text


@pytest.fixture
def careful_inserts(monkeypatch) -> list[int]:
    """Sizes of the batches recorded the careful way (the INSERT that looks for each id)."""
    sizes: list[int] = []

    async def counted(transaction, consumer, event_ids):
        event_ids = list(event_ids)
        sizes.append(len(event_ids))
        return await first_deliveries(transaction, consumer, event_ids)

    monkeypatch.setattr(inbox_module, "first_deliveries", counted)
    return sizes


def ids(n: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(n)]


async def test_a_batch_is_copied_in_and_its_ids_are_then_taken(engine, careful_inserts):
    batch = ids(500)
    async with engine.begin() as tx:
        assert await Inbox("tests.copy").first_deliveries(tx, batch) == set(batch)
    assert careful_inserts == []  # copied
    async with engine.begin() as tx:  # recorded under the consumer's name, as the careful way records them
        assert await first_deliveries(tx, "tests.copy", batch) == set()
        assert await first_deliveries(tx, "tests.other", batch[:3]) == set(batch[:3])


async def test_ids_recorded_elsewhere_undo_the_copy_and_the_transaction_goes_on(engine, careful_inserts):
    batch = ids(500)
    async with engine.begin() as tx:  # another process recorded some (this one does not remember them)
        await Inbox("tests.copy").first_deliveries(tx, batch[100:250])
    async with engine.begin() as tx:
        fresh = await Inbox("tests.copy").first_deliveries(tx, batch)
        await tx.execute(text("INSERT INTO account_usage VALUES ('ba_after_the_copy', 1)"))

    assert fresh == set(batch[:100] + batch[250:])
    assert careful_inserts == [500]
    async with engine.connect() as connection:
        recorded = await connection.scalar(text("SELECT count(*) FROM inbox WHERE consumer = 'tests.copy'"))
        effect = await connection.scalar(text("SELECT total FROM account_usage WHERE account = 'ba_after_the_copy'"))
    assert (recorded, effect) == (500, 1)


async def test_remembered_ids_are_dropped_as_duplicates_and_do_not_undo_the_copy(engine, careful_inserts):
    inbox, earlier, later = Inbox("tests.copy"), ids(300), ids(300)
    async with engine.begin() as tx:
        await inbox.first_deliveries(tx, earlier)
    inbox.remember(earlier)  # committed

    async with engine.begin() as tx:
        assert await inbox.first_deliveries(tx, earlier[:150] + later) == set(later)
    assert careful_inserts == []


async def test_the_oldest_remembered_ids_are_forgotten_a_generation_at_a_time(engine, careful_inserts):
    inbox = Inbox("tests.copy", remembered=400)
    a, b, c, d = ids(150), ids(150), ids(150), ids(100)
    async with engine.begin() as tx:
        await inbox.first_deliveries(tx, a + b + c + d)
    for committed in (a, b, c, d):  # a and b fill a generation (200 or more); c and d the next
        inbox.remember(committed)

    async with engine.begin() as tx:
        new = ids(100)
        assert await inbox.first_deliveries(tx, c + d + new) == set(new)
    assert careful_inserts == []  # c and d dropped as remembered, the rest copied
    async with engine.begin() as tx:
        new = ids(100)
        assert await inbox.first_deliveries(tx, a + new) == set(new)
    assert careful_inserts == [250]  # a forgotten: copied again, met, and looked up


def test_a_consumer_name_that_copy_would_need_to_escape_is_refused():
    with pytest.raises(ValueError, match="plain name"):
        Inbox("tests\tcopy")
