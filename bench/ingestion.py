"""`make bench`: how fast invoicing ingests usage, against the real broker and database.

On a stack of its own (Kafka and PostgreSQL in a temporary folder, on free ports):
1. publish BENCH_EVENTS usage messages (10,000 accounts, 3 meters, 1% duplicates) dated last month;
2. L1: a bare aiokafka consumer, in a process of its own, reads them all and does nothing (the
   baseline), after one read of them not counted; again after L4, and the two are averaged;
3. L4: the real invoicing consumer process (`python -m invoicing serve --role consumer`) counts
   them, from the group having all partitions assigned (its first message) to the last aggregate
   committed (its offsets committed, which come right after); then every aggregate is compared
   with the sums the publisher computed;
4. freshness: with that consumer caught up, usage at a steady BENCH_RATE events/s, each record's
   timestamp against when its aggregate was seen committed;
5. finalize: close last month, one invoice per account, timed.
The last line printed is one JSON object with the figures. See bench/README.md.
"""

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from billing_contracts.topics import TOPICS
from billing_runtime.clock import SystemClock
from billing_runtime.database import create_engine
from billing_runtime.messaging.record_unpacking import unpacks_compiled
from billing_runtime.migrations import upgrade
from devstack.ports import free_port
from devstack.stack import Stack, StackConfig
from invoicing.adapters.usage_messages import COMPILED
from invoicing.bootstrap import MIGRATIONS
from invoicing.domain.periods import BillingPeriod
from invoicing.domain.usage import TALLY_COMPILED
from invoicing.entrypoints.stream import tally_switched_off
from invoicing.use_cases.close_period import close_period

from bench.freshness import measure_freshness
from bench.probes import (Aggregates, group_generation, peak_memory_mib, raw_consume, tree_cpu_seconds,
                          wait_until_assigned, wait_until_committed)
from bench.workload import TOPIC, UsageStream, check_format, last_month_moments, publish_bulk

REPO = Path(__file__).resolve().parents[1]
QUICK = os.environ.get("BENCH_QUICK") == "1"
EVENTS = int(os.environ.get("BENCH_EVENTS", 100_000 if QUICK else 1_000_000))
ACCOUNTS = int(os.environ.get("BENCH_ACCOUNTS", 10_000))
RATE = int(os.environ.get("BENCH_RATE", 2_000))
FRESHNESS_SECONDS = float(os.environ.get("BENCH_FRESHNESS_SECONDS", 10 if QUICK else 30))
CONSUMERS = int(os.environ.get("BENCH_CONSUMERS", 2))
"""Replicas of the consumer process in the group, as an operator scales the consumer role: the
topic's partitions are split between them (one per core of the machine by default)."""
RANDOM_IDS = os.environ.get("BENCH_EVENT_IDS", "v7") == "v4"
"""Event ids as the contracts make them (UUID v7, time-ordered), or random (v4) with BENCH_EVENT_IDS=v4."""
TALLY = TALLY_COMPILED and not tally_switched_off()
"""Whether the consumers aggregate with the compiled tally (the environment reaches them)."""
PROFILE = os.environ.get("BENCH_PROFILE")  # a path: run the consumer under cProfile, write its stats there
PROJECT = "prj_bench"
GROUP = "invoicing"  # the service's consumer group (DESIGN.md)
PARTITIONS = next(topic.partitions for topic in TOPICS if topic.name == TOPIC)


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def start_consumer(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    if PROFILE:
        argv = [sys.executable, "-m", "bench.profiled_consumer", PROFILE]
    else:
        argv = [sys.executable, "-m", "invoicing", "serve", "--role", "consumer", "--port", str(port)]
    with log.open("ab") as output:  # a consumer that cannot start exits: `ingest` notices and says so
        return subprocess.Popen(argv, env=env, cwd=REPO, stdout=output, stderr=subprocess.STDOUT)


def ingest(aggregates: Aggregates, processes: list[subprocess.Popen], logs: list[Path], stack: Stack, bootstrap: str,
           messages: int, expected: int) -> dict:
    """From the moment the group has every partition of the topic assigned (its members fetch from
    then on) to the moment its committed offsets cover all `messages` (so every aggregate is
    committed): rate of the `expected` unique events, CPU, and the consumers' peak memory."""
    deadline = time.monotonic() + 120 + expected / 2_000
    parts = {p.name: p.pid for p in stack.processes if p.pid}
    consumers = {f"consumer {n}": process.pid for n, process in enumerate(processes, 1)}
    stopped = lambda: any(process.poll() is not None for process in processes)  # noqa: E731

    def report(committed: int) -> None:
        say(f"L4 committed {committed:,} of {messages:,} messages ({committed / (time.monotonic() - first):,.0f}/s)")

    try:
        first = asyncio.run(wait_until_assigned(bootstrap, GROUP, PARTITIONS, deadline, stopped))
        cpu_first = {name: tree_cpu_seconds(pid) for name, pid in {**consumers, **parts}.items()}
        generation = group_generation(logs)
        last = asyncio.run(wait_until_committed(bootstrap, GROUP, messages, deadline, stopped, report))
    except RuntimeError as error:
        raise RuntimeError(f"{error}; see the consumers' logs in .state/bench/") from None
    seconds = last - first
    cpu = {name: tree_cpu_seconds(pid) - cpu_first[name] for name, pid in {**consumers, **parts}.items()}
    cpu = {"consumer": sum(cpu.pop(name) for name in consumers), **cpu}  # all replicas together
    if (counted := aggregates.events_counted(PROJECT)) != expected:
        raise RuntimeError(f"every offset committed, but the aggregates count {counted} of {expected} events")
    return {"events": expected, "seconds": seconds, "rate": expected / seconds,
            "rebalances": group_generation(logs) - generation,
            "cpu_us": {name: used * 1e6 / expected for name, used in cpu.items()},
            "peak_mib": max(peak_memory_mib(pid) for pid in consumers.values())}


def flushed() -> float:
    """Write every dirty page out now (`sync`), so that the kernel's writeback of what was just
    published does not take CPU from the first L1 or from L4 (it would otherwise come within
    the next 30 s); the seconds it took."""
    started = time.monotonic()
    os.sync()
    return time.monotonic() - started


def baseline(bootstrap: str, when: str) -> float:
    """L1 once: events/s of the bare consumer reading every message."""
    seconds, cpu = raw_consume(bootstrap, EVENTS)
    say(f"L1 raw consumer {when}: {EVENTS:,} in {seconds:.1f} s = {EVENTS / seconds:,.0f} events/s, "
        f"{cpu * 1e6 / EVENTS:.1f} CPU µs/event")
    return EVENTS / seconds


def stop(consumers: list[subprocess.Popen]) -> None:
    for process in consumers:
        if process.poll() is None:
            process.terminate()
    for process in consumers:
        process.wait(60)
    consumers.clear()


async def finalize(url: str, period: BillingPeriod) -> float:
    engine = create_engine(url)
    try:
        started = time.monotonic()
        async with engine.begin() as tx:
            closing = await close_period(period.start, tx, SystemClock())
        seconds = time.monotonic() - started
        say(f"finalized {len(closing.finalized):,} invoices ({len(closing.not_invoiced)} accounts not invoiced)")
        return seconds
    finally:
        await engine.dispose()


def main() -> int:
    state = Path(tempfile.mkdtemp(prefix="billing-bench-"))
    config = StackConfig.ephemeral(state, REPO / ".state" / "cache", environ={
        k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "POSTGRES_URL")})
    # As a production broker (Kafka's default), not as the tests' (0: at once): a group waits 3 s
    # for more members before its first assignment, so the consumer replicas, started together,
    # join one generation. At 0 the first process to join took every partition and started, and
    # the second one's join rebalanced the group in the middle of the window, in one run of two:
    # batches redone, L4 0.38 against 0.55.
    config.kafka_settings = {"group.initial.rebalance.delay.ms": "3000"}
    stack = Stack(config)
    consumers: list[subprocess.Popen] = []
    try:
        say(f"starting Kafka and PostgreSQL in {state}")
        endpoints = stack.start()
        url = endpoints.database_url("invoicing")
        upgrade(MIGRATIONS, url)
        now = datetime.now(UTC)
        stream = UsageStream(ACCOUNTS, "ba_b", PROJECT, seed=7, random_ids=RANDOM_IDS)
        check_format(stream)
        say(f"publishing {EVENTS:,} usage messages ({ACCOUNTS:,} accounts, 3 meters, 1% duplicates, "
            f"{'random' if RANDOM_IDS else 'time-ordered'} event ids)")
        published = asyncio.run(publish_bulk(endpoints.kafka_bootstrap_servers, stream, EVENTS, now, say))
        say(f"published in {published:.1f} s ({EVENTS / published:,.0f}/s); {stream.expected.unique:,} unique")
        say(f"the broker's log written out to disk: {flushed():.1f} s")

        # Not the broker's first large read either, as L4 and the second L1 never are (a JVM
        # compiles its hot paths as they run): a precaution, no effect beyond the noise was seen.
        baseline(endpoints.kafka_bootstrap_servers, "as a warm-up, not counted")
        l1_before = baseline(endpoints.kafka_bootstrap_servers, "before L4")

        env = {**os.environ, **endpoints.service_env("invoicing"), "INVOICING_CLOSE_INTERVAL_SECONDS": "86400",
               # the period closer must not close last month while the bench is still counting it
               "INVOICING_GRACE_PERIOD_HOURS": "100000", "INVOICING_USAGE_DEDUP_DAYS": "5000"}
        aggregates = Aggregates(url)
        replicas = 1 if PROFILE else CONSUMERS  # one profile to read
        # All at once: they join the group together, and the window opens once it has every
        # partition assigned, before any batch is read.
        logs = [REPO / ".state" / "bench" / f"invoicing-consumer-{n}.log" for n in range(1, replicas + 1)]
        for log in logs:  # kept after the run, for a look
            log.parent.mkdir(parents=True, exist_ok=True)
            log.unlink(missing_ok=True)
            consumers.append(start_consumer(env, free_port(), log))
        l4 = ingest(aggregates, consumers, logs, stack, endpoints.kafka_bootstrap_servers, EVENTS, stream.expected.unique)
        say(f"L4 invoicing consumer ({replicas} process{'es' if replicas > 1 else ''}, "
            f"{'compiled' if COMPILED else 'Python'} usage reader, {'compiled' if TALLY else 'Python'} tally, "
            f"{'compiled' if unpacks_compiled() else 'aiokafka'} record unpacking): "
            f"{l4['events']:,} in {l4['seconds']:.1f} s = {l4['rate']:,.0f} events/s; "
            f"CPU µs/event: " + ", ".join(f"{name} {us:.0f}" for name, us in l4["cpu_us"].items())
            + f"; peak memory of a consumer {l4['peak_mib']:.0f} MiB; rebalances in the window {l4['rebalances']}")
        exact, wrong = aggregates.exact(PROJECT, stream.expected.hundredths, stream.expected.events)
        say(f"aggregates exact: {exact} ({len(stream.expected.events):,} aggregates, {wrong} wrong)")
        if PROFILE:
            stop(consumers)
            say(f"profile of the consumer written to {PROFILE}")
            return 0
        say(f"vacuumed and analyzed the invoicing database, no autovacuum running: {aggregates.settle():.1f} s")
        idle_cpu = sum(tree_cpu_seconds(process.pid) for process in consumers)
        l1_after = baseline(endpoints.kafka_bootstrap_servers, "after L4")
        idle_cpu = sum(tree_cpu_seconds(process.pid) for process in consumers) - idle_cpu
        l1 = (l1_before + l1_after) / 2
        say(f"L1 {l1:,.0f} events/s (mean of {l1_before:,.0f} and {l1_after:,.0f}); L4/L1 {l4['rate'] / l1:.3f} "
            f"({l4['rate'] / l1_before:.3f} against the first, {l4['rate'] / l1_after:.3f} against the second); "
            f"the idle consumers' CPU meanwhile {idle_cpu:.2f} s")

        say(f"freshness: {RATE:,} events/s for {FRESHNESS_SECONDS:.0f} s")
        fresh = measure_freshness(endpoints.kafka_bootstrap_servers, aggregates, RATE, FRESHNESS_SECONDS)
        say(f"freshness p50 {fresh['p50_ms']:.0f} ms, p99 {fresh['p99_ms']:.0f} ms, max {fresh['max_ms']:.0f} ms "
            f"over {fresh['events']:,} events")

        stop(consumers)
        period = BillingPeriod.containing(next(last_month_moments(1, now)))
        finalize_seconds = asyncio.run(finalize(url, period))
        invoices = aggregates.invoices(period.start)
        say(f"finalizing {invoices:,} invoices took {finalize_seconds:.1f} s")
        aggregates.close()
        print(json.dumps({
            "events": EVENTS, "accounts": ACCOUNTS, "consumer_processes": CONSUMERS,
            "event_ids": "v4" if RANDOM_IDS else "v7", "compiled_reader": COMPILED,
            "compiled_tally": TALLY, "compiled_records": unpacks_compiled(),
            "l1_events_per_s": round(l1), "l1_before_events_per_s": round(l1_before), "l1_after_events_per_s": round(l1_after),
            "l4_events_per_s": round(l4["rate"]), "ratio": round(l4["rate"] / l1, 3),
            "cpu_us_per_event": round(l4["cpu_us"]["consumer"], 1),
            "cpu_us_per_event_by_process": {name: round(us, 1) for name, us in l4["cpu_us"].items()},
            "freshness_p50_ms": round(fresh["p50_ms"]), "freshness_p99_ms": round(fresh["p99_ms"]),
            "consumer_peak_mib": round(l4["peak_mib"]), "rebalances_in_window": l4["rebalances"],
            "exact": exact, "finalize_10k_s": round(finalize_seconds, 1), "invoices_finalized": invoices,
        }))
        return 0
    finally:
        stop(consumers)
        stack.stop()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
