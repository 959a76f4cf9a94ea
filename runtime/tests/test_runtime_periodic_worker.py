"""The services' background passes share one loop: a pass now and every interval, a failed pass
logged and tried again, and a stop that does not wait out the interval."""

import asyncio

from billing_runtime.workers import periodic


async def test_a_failed_pass_is_logged_the_next_one_runs_and_stopping_ends_it_at_once(caplog):
    passes = []

    async def one_pass():
        passes.append(len(passes))
        if len(passes) == 1:
            raise ConnectionError("the database is away")

    stopping = asyncio.Event()
    running = asyncio.create_task(periodic(one_pass, 0.01, "the pass failed")(stopping))
    async with asyncio.timeout(5):
        while len(passes) < 3:
            await asyncio.sleep(0.005)
    assert "the pass failed" in caplog.text and not running.done()

    slow = asyncio.create_task(periodic(one_pass, 3600, "the pass failed")(stopping))
    await asyncio.sleep(0.02)  # its first pass ran; it now waits an hour
    stopping.set()
    await asyncio.wait_for(asyncio.gather(running, slow), 1)
