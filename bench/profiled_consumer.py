"""The invoicing consumer without uvicorn, under cProfile: the app `python -m invoicing serve
--role consumer` runs, started and stopped by its own lifespan (so by the same steps), and no HTTP
server. On SIGTERM it leaves the lifespan and writes the profile to the path given (uvicorn would re-raise the signal
and lose it). `BENCH_PROFILE=path make bench` runs L4 with this instead of the service process.

    python -m bench.profiled_consumer /tmp/consumer.prof
"""

import asyncio
import cProfile
import signal
import sys

from billing_runtime.settings import ServiceRole
from invoicing.entrypoints.http import create_app
from invoicing.settings import InvoicingSettings


async def consume_until_stopped() -> None:
    app = create_app(InvoicingSettings(service_role=ServiceRole.CONSUMER))
    stopping = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    async with app.router.lifespan_context(app):
        await stopping.wait()


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
