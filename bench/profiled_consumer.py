"""The invoicing consumer without uvicorn, under cProfile: the same runtime, broker and
subscribers as `python -m invoicing serve --role consumer`, and no HTTP server. On SIGTERM it
stops the broker and writes the profile to the path given (uvicorn would re-raise the signal
and lose it). `BENCH_PROFILE=path make bench` runs L4 with this instead of the service process.

    python -m bench.profiled_consumer /tmp/consumer.prof
"""

import asyncio
import cProfile
import signal
import sys

from billing_runtime.broker import start_broker
from billing_runtime.service import settle_heap
from invoicing.bootstrap import bootstrap
from invoicing.settings import InvoicingSettings


async def consume_until_stopped() -> None:
    runtime = bootstrap(InvoicingSettings())
    stopping = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    settle_heap()  # as the service's lifespan does
    await runtime.producer.start()
    await start_broker(runtime.broker)
    try:
        await stopping.wait()
    finally:
        if runtime.subscriptions is not None:
            await runtime.subscriptions.close()
        await runtime.broker.stop()
        await runtime.producer.stop()
        await runtime.engine.dispose()


def main() -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        asyncio.run(consume_until_stopped())
    finally:
        profiler.disable()
        profiler.dump_stats(sys.argv[1])


if __name__ == "__main__":
    main()
