"""A batch's ids go into the inbox by COPY; a COPY that meets an id already there is undone, the
ids recorded are looked up and dropped and the rest copied, without losing the transaction; the
careful INSERT is the last resort. Against the real database."""

import uuid

import pytest
from billing_runtime.messaging import inbox as inbox_module
from billing_runtime.messaging.inbox import Inbox, first_deliveries
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError


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


@pytest.fixture
def copies(monkeypatch) -> list[bool]:
    """Whether each COPY of an inbox went in (False: it met an id there already, and was undone)."""
    outcomes: list[bool] = []
    copied = Inbox._copied

    async def counted(self, cursor, ids):
        outcomes.append(await copied(self, cursor, ids))
        return outcomes[-1]

    monkeypatch.setattr(Inbox, "_copied", counted)
    return outcomes


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


async def test_ids_recorded_elsewhere_undo_the_copy_are_looked_up_and_the_rest_is_copied(engine, careful_inserts, copies):
    batch = ids(500)
    async with engine.begin() as tx:  # another process recorded some (this one does not remember them)
        await Inbox("tests.copy").first_deliveries(tx, batch[100:250])
    async with engine.begin() as tx:
        fresh = await Inbox("tests.copy").first_deliveries(tx, batch)
        await tx.execute(text("INSERT INTO account_usage VALUES ('ba_after_the_copy', 1)"))

    assert fresh == set(batch[:100] + batch[250:])
    assert copies == [True, False, True]  # theirs; ours met one of them; ours without them
    assert careful_inserts == []
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


async def test_the_oldest_remembered_ids_are_forgotten_a_generation_at_a_time(engine, careful_inserts, copies):
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
    assert copies[-2:] == [False, True]  # a forgotten: copied again, met, looked up and dropped
    assert careful_inserts == []


async def test_each_partition_remembers_its_own_ids_whatever_the_others_bring(engine, careful_inserts, copies):
    # A retrying producer's copy comes on its original's partition, a few offsets later; batches
    # in between can hold none of that partition's messages.
    for sources in ("per partition", "one memory"):
        inbox = Inbox("tests.copy", remembered=400)
        a, others = ids(150), [ids(150) for _ in range(3)]
        async with engine.begin() as tx:
            await inbox.first_deliveries(tx, a + [key for batch in others for key in batch])
        inbox.remember(a, [(("usage", 0), 150)] if sources == "per partition" else None)
        for batch in others:  # three batches of partition 1 alone
            inbox.remember(batch, [(("usage", 1), 150)] if sources == "per partition" else None)
        copies.clear()

        new = ids(100)
        async with engine.begin() as tx:
            fresh = await inbox.first_deliveries(tx, a[:50] + new, [(("usage", 0), 150)] if sources == "per partition" else None)
        assert fresh == set(new)
        assert copies == ([True] if sources == "per partition" else [False, True]), sources
        async with engine.begin() as tx:
            await tx.execute(text("DELETE FROM inbox WHERE consumer = 'tests.copy'"))


async def test_ids_recorded_between_the_look_up_and_the_copy_go_the_careful_way(engine, careful_inserts, copies, monkeypatch):
    batch = ids(300)
    async with engine.begin() as tx:
        await Inbox("tests.copy").first_deliveries(tx, batch[:10])
    careful_inserts.clear()
    # As if another process recorded them only once the look-up had been made: it finds none.
    monkeypatch.setattr(inbox_module, "_RECORDED_AMONG", "SELECT 0 WHERE CAST(%(ids)s AS bytea) IS NULL AND CAST(%(consumer)s AS text) IS NULL")
    async with engine.begin() as tx:
        assert await Inbox("tests.copy").first_deliveries(tx, batch) == set(batch[10:])
    assert copies[-2:] == [False, False]
    assert careful_inserts == [300]


async def test_any_consumer_name_is_copied_as_it_is(engine, careful_inserts):
    name, batch = "tests.copy\t\\N\nnamé", ids(200)  # what COPY's text format would have had to escape
    async with engine.begin() as tx:
        assert await Inbox(name).first_deliveries(tx, batch) == set(batch)
    assert careful_inserts == []
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT CAST(event_id AS text) FROM inbox WHERE consumer = :name"), {"name": name})
        assert sorted(rows.scalars()) == sorted(batch)


@pytest.mark.parametrize("odd", [
    "a0eebc999c0b4ef8bb6d6bb9bd380a11",  # PostgreSQL reads these two as UUIDs too,
    "a0eebc99-9c0b4ef8-bb6d-6bb9-bd380a11",  # but in binary rows they would shift the rest
])
async def test_ids_not_in_canonical_text_are_recorded_the_careful_way(engine, careful_inserts, odd):
    batch = ids(150) + [odd] + ids(150)
    async with engine.begin() as tx:
        assert await Inbox("tests.copy").first_deliveries(tx, batch) == set(batch)
    assert careful_inserts == [301]
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT CAST(event_id AS text) FROM inbox WHERE consumer = 'tests.copy'"))
        assert sorted(rows.scalars()) == sorted(str(uuid.UUID(key)) for key in batch)


async def test_upper_case_ids_are_copied_as_the_same_uuids(engine, careful_inserts):
    batch = ids(150) + ["A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"] + ids(150)
    async with engine.begin() as tx:
        assert await Inbox("tests.copy").first_deliveries(tx, batch) == set(batch)
    assert careful_inserts == []
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT CAST(event_id AS text) FROM inbox WHERE consumer = 'tests.copy'"))
        assert sorted(rows.scalars()) == sorted(key.lower() for key in batch)


def _short_then_long(canonical: list[str]) -> list[str]:
    # Dashes where two canonical ids have them and 64 digits together: only where the first one's
    # line end falls tells that it lacks a digit that the second has in excess.
    return [canonical[0][:-1], "a" + canonical[1]]


def _a_dash_for_a_digit(canonical: list[str]) -> list[str]:
    # 36 characters each, dashes in their places, but one digit fewer each: only the count of digits tells.
    return [key[:30] + "-" + key[31:] for key in canonical]


def _last_one_short(canonical: list[str]) -> list[str]:
    return [canonical[0], canonical[1][:-2]]


@pytest.mark.parametrize("odd", [_short_then_long, _a_dash_for_a_digit, _last_one_short])
async def test_a_batch_with_ids_that_are_no_uuids_fails_whole_instead_of_recording_others(engine, careful_inserts, odd):
    batch = ids(150) + odd(ids(2))
    with pytest.raises(DBAPIError, match="uuid"):
        async with engine.begin() as tx:
            await Inbox("tests.copy").first_deliveries(tx, batch)
    assert careful_inserts == [152]


async def test_ids_left_for_later_are_neither_recorded_nor_answered(engine, careful_inserts, copies):
    batch = ids(300)
    async with engine.begin() as tx:
        assert await Inbox("tests.copy").first_deliveries(tx, batch, leave=set(batch[:10])) == set(batch[10:])
    async with engine.connect() as connection:
        recorded = await connection.scalar(text("SELECT count(*) FROM inbox WHERE consumer = 'tests.copy'"))
    assert (recorded, copies, careful_inserts) == (290, [True], [])


async def test_a_few_ids_all_remembered_ask_the_database_nothing(engine, careful_inserts):
    inbox, batch = Inbox("tests.copy"), ids(300)
    async with engine.begin() as tx:
        await inbox.first_deliveries(tx, batch)
    inbox.remember(batch)
    async with engine.begin() as tx:  # copies a producer sent again, fewer than a COPY's worth
        assert await inbox.first_deliveries(tx, batch[:5]) == set()
        new = ids(1)
        assert await inbox.first_deliveries(tx, batch[5:8] + new) == set(new)
    assert careful_inserts == [1]  # only the new one was asked about
