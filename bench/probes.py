"""What the benchmark measures with: CPU time of process trees, the baseline consumer (L1), and
the aggregates as the invoicing database holds them."""

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import psycopg
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

from bench.workload import TOPIC
from invoicing.entrypoints.stream import USAGE_BATCH

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds in user and system mode) of a live process."""
    try:
        with open(f"/proc/{pid}/stat") as file:
            fields = file.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds used so far by `root` and every live descendant (PostgreSQL's backends, say)."""
    stats = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (stat := _stat(int(name))):
            stats[int(name)] = stat
    children = defaultdict(list)
    for pid, (parent, _) in stats.items():
        children[parent].append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += stats[pid][1]
            todo.extend(children[pid])
    return total


def group_generation(logs: list[Path]) -> int:
    """The latest generation of the consumer group the consumers' logs say they joined (0: none yet)."""
    found = [int(n) for log in logs if log.exists() for n in _GENERATION.findall(log.read_text(errors="replace"))]
    return max(found, default=0)


_GENERATION = re.compile(r"Joined group '[^']*' \(generation (\d+)\)")


def peak_memory_mib(pid: int) -> float:
    """The most resident memory the process has had (VmHWM), in MiB; 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/status") as file:
            kib = next(int(line.split()[1]) for line in file if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return 0.0
    return kib / 1024


async def wait_until_assigned(bootstrap: str, group: str, partitions: int, deadline: float, stopped) -> float:
    """Poll the group until it is stable with all `partitions` of the usage topic assigned: from
    then on its members fetch. Returns that moment (`time.monotonic()`)."""
    async def all_assigned(admin: AIOKafkaAdminClient) -> bool:
        return await _assigned(admin, group) >= partitions

    if (at := await _ask_until(bootstrap, all_assigned, 0.02, deadline, stopped)) is None:
        raise RuntimeError(f"group {group} never had the {partitions} partitions of {TOPIC} assigned")
    return at


async def wait_until_committed(bootstrap: str, group: str, messages: int, deadline: float, stopped, progress) -> float:
    """Poll the group's committed offsets of the usage topic until they cover all `messages`
    published to it (offsets count from 0 on the bench's own topic). The consumer commits a
    batch's offsets only after its transaction committed, so that moment is at, or just after,
    the last aggregate committed. Asking the broker costs the system under test next to nothing;
    summing the aggregates every 50 ms cost PostgreSQL 12-16 ms a time, a fifth of a core.
    Returns that moment (`time.monotonic()`); calls `progress(committed)` every 10 s."""
    committed, last_report = 0, time.monotonic()

    async def all_committed(admin: AIOKafkaAdminClient) -> bool:
        nonlocal committed, last_report
        offsets = await admin.list_consumer_group_offsets(group)
        committed = sum(o.offset for tp, o in offsets.items() if tp.topic == TOPIC and o.offset > 0)
        if time.monotonic() - last_report > 10:
            last_report = time.monotonic()
            progress(committed)
        return committed >= messages

    if (at := await _ask_until(bootstrap, all_committed, 0.05, deadline, stopped)) is None:
        raise RuntimeError(f"group {group} committed the offsets of {committed} of {messages} messages")
    return at


async def _ask_until(bootstrap: str, answered, interval: float, deadline: float, stopped) -> float | None:
    """Ask the broker `answered(admin)` every `interval` seconds until it says yes (that moment,
    `time.monotonic()`), the deadline passes or a consumer stopped (None)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        while time.monotonic() < deadline and not stopped():
            if await answered(admin):
                return time.monotonic()
            await asyncio.sleep(interval)
        return None
    finally:
        await admin.close()


async def _assigned(admin: AIOKafkaAdminClient, group: str) -> int:
    """Partitions of the usage topic assigned in the group, if it is stable; else 0."""
    try:
        responses = await admin.describe_consumer_groups([group])
    except Exception:  # noqa: BLE001 - no coordinator yet while the group forms: ask again
        return 0
    assigned = 0
    for response in responses:
        for error_code, _, state, _, _, members, *_ in response.groups:
            if error_code or state != "Stable":
                return 0
            for *_, assignment in members:
                if assignment:
                    decoded = ConsumerProtocolMemberAssignment.decode(assignment)
                    assigned += sum(len(partitions) for topic, partitions in decoded.assignment if topic == TOPIC)
    return assigned


def raw_consume(bootstrap: str, expected: int) -> tuple[float, float]:
    """L1 in a process of its own (`bench.raw_consumer`, see why there), in `getmany` calls of as
    many records as the invoicing consumer's batches: (seconds from the first message to the
    last, that process's CPU seconds meanwhile)."""
    done = subprocess.run([sys.executable, "-m", "bench.raw_consumer", bootstrap, TOPIC, str(expected), str(USAGE_BATCH)],
                          capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[1])
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return figures["seconds"], figures["cpu_seconds"]


class Aggregates:
    """Reads what invoicing counted directly: the view usage_totals, the aggregates plus the
    increments not folded yet (a plain connection, autocommit; it writes nothing, and `settle`
    only vacuums)."""

    def __init__(self, url: str) -> None:
        self.connection = psycopg.connect(url.replace("+psycopg", ""), autocommit=True)

    def events_counted(self, project: str) -> int:
        row = self.connection.execute(
            "SELECT coalesce(sum(event_count), 0) FROM usage_totals WHERE project_id = %s", (project,)).fetchone()
        return int(row[0])

    def counts_by_account(self, first: str, last: str) -> dict[str, int]:
        """Events counted per account with an id in [first, last] (the primary key's range, so cheap)."""
        rows = self.connection.execute(
            "SELECT billing_account_id, sum(event_count) FROM usage_totals "
            "WHERE billing_account_id BETWEEN %s AND %s GROUP BY 1", (first, last)).fetchall()
        return {account: int(count) for account, count in rows}

    def exact(self, project: str, hundredths: dict, events: dict) -> tuple[bool, int]:
        """Whether every aggregate equals its expected sum and count (and no other exists);
        with the number of aggregates that differ."""
        rows = self.connection.execute(
            "SELECT billing_account_id, project_id, meter, quantity, event_count FROM usage_totals "
            "WHERE project_id = %s", (project,)).fetchall()
        found = {(a, p, m): (q, c) for a, p, m, q, c in rows}
        keys = set(found) | set(hundredths)
        wrong = sum(1 for key in keys
                    if found.get(key) != (Decimal(hundredths.get(key, 0)) / 100, events.get(key, 0)))
        return wrong == 0, wrong

    def invoices(self, period_start) -> int:
        row = self.connection.execute("SELECT count(*) FROM invoices WHERE period_start = %s", (period_start,)).fetchone()
        return int(row[0])

    def settle(self, timeout: float = 300) -> float:
        """Leave the database as quiet as before L4, for the second L1: vacuum and analyze what L4
        wrote (a million inbox rows and the aggregates), which autovacuum would otherwise start on
        within its minute's nap, maybe in the middle of L1, taking CPU from it; then wait until
        no autovacuum worker runs. Returns the seconds it took."""
        started = time.monotonic()
        self.connection.execute("VACUUM (ANALYZE)")
        while self.connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'").fetchone()[0]:
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"autovacuum still running after {timeout:.0f} s")
            time.sleep(0.5)
        return time.monotonic() - started

    def close(self) -> None:
        self.connection.close()
