"""Freshness: how long after its record timestamp a usage event is in a committed aggregate.

A steady stream of usage of a few hundred accounts of their own ("bf_..."); a poller reads
their aggregates' event counts every 20 ms. Within a partition the consumer commits in offset
order, so the partition's k-th fresh event is committed once its accounts' counts add up to k:
its freshness is the end of the first poll that saw that, minus the record's timestamp (an
upper bound, by at most one poll). Duplicates add nothing, so they are left out of the ranks.
"""

import asyncio
import statistics
import threading
import time
from collections import defaultdict

from bench.probes import Aggregates
from bench.workload import UsageStream, publish_steady

ACCOUNTS = 240
FIRST, LAST = "bf_000000", "bf_999999"


def measure_freshness(bootstrap: str, aggregates: Aggregates, rate: int, seconds: float) -> dict:
    stream = UsageStream(ACCOUNTS, "bf_", "prj_fresh", seed=11)
    snapshots: list[tuple[float, dict[str, int]]] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            counts = aggregates.counts_by_account(FIRST, LAST)
            snapshots.append((time.time(), counts))
            stop.wait(0.02)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        sent = asyncio.run(publish_steady(bootstrap, stream, rate, seconds))
        deadline = time.monotonic() + 120
        while not snapshots or sum(snapshots[-1][1].values()) < stream.expected.unique:
            if time.monotonic() > deadline:
                raise RuntimeError("the fresh usage was not all counted within 2 minutes")
            time.sleep(0.05)
    finally:
        stop.set()
        poller.join()

    accounts_of: dict[int, set[str]] = defaultdict(set)
    stamps: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for record in sent:
        accounts_of[record.partition].add(record.account)
        if not record.duplicate:
            stamps[record.partition].append((record.offset, record.timestamp_ms))
    ages = []
    for partition, records in stamps.items():
        records.sort()
        done = 0
        for seen_at, counts in snapshots:
            committed = sum(counts.get(account, 0) for account in accounts_of[partition])
            while done < min(committed, len(records)):
                ages.append(seen_at * 1000 - records[done][1])
                done += 1
    ages.sort()
    cuts = statistics.quantiles(ages, n=100, method="inclusive")
    return {"events": len(ages), "p50_ms": cuts[49], "p99_ms": cuts[98], "max_ms": ages[-1]}
