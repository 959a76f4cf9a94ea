"""A consumer's allocators keep what they freed (glibc's heap, Python's arenas): a batch's memory
is not faulted in again."""

import platform
import subprocess
import sys

import pytest
from billing_runtime import allocator

glibc_only = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the thresholds are glibc's")

# Two "batches" of 40 blocks of 2 MiB, each written (a fetch's buffers, a batch's objects): the
# page faults of the second. glibc's own thresholds hand the first batch's memory back to the
# kernel when it is freed, so the second faults every page in again (2 MiB is 512 pages).
_BATCHES = """
import resource, sys
from billing_runtime.allocator import keep_freed_memory
if sys.argv[1] == "keep":
    assert keep_freed_memory()
def batch():
    blocks = [bytearray(2 * 1024 * 1024) for _ in range(40)]
    for block in blocks:
        block[::4096] = b"x" * len(block[::4096])
    del blocks
batch()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
batch()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _second_batch_faults(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", _BATCHES, mode], capture_output=True, text=True, check=True)
    return int(done.stdout.strip())


@glibc_only
def test_a_second_batch_reuses_the_first_ones_memory():
    assert _second_batch_faults("default") > 40 * 512 // 2  # the case it is for: glibc gives it back
    assert _second_batch_faults("keep") < 40 * 512 // 20


# Two "batches" of small objects (a million tuples: about 64 MiB of Python's 1 MiB arenas), the
# page faults of the second. Python unmaps an arena as soon as it is empty, so without the cache
# the second batch faults every page in again (about 16,000). The deep recursion first frees some
# of the frames' 16 KiB stack chunks, which Python takes from the same allocator: the cache must
# keep arenas whatever it was handed first.
_SMALL_OBJECTS = """
import resource, sys
from billing_runtime import allocator
if sys.argv[1] == "keep":
    assert allocator.keep_freed_arenas(256)
def deep(n):
    return n if n == 0 else deep(n - 1) + 1
deep(900)
def batch():
    objects = [(n, n) for n in range(1_000_000)]
    del objects
batch()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
batch()
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
stats = allocator._arena_cache.stats() if allocator._arena_cache else {}
print(faults, stats.get("kept", 0), stats.get("reused", 0))
"""


def _second_small_batch(mode: str) -> tuple[int, int, int]:
    done = subprocess.run([sys.executable, "-c", _SMALL_OBJECTS, mode], capture_output=True, text=True, check=True)
    faults, kept, reused = map(int, done.stdout.split())
    return faults, kept, reused


@pytest.mark.skipif(allocator._arena_cache is None, reason="the arena cache is not built (no C compiler)")
def test_a_second_batch_of_small_objects_reuses_the_first_ones_arenas():
    faults_unkept, _, _ = _second_small_batch("default")
    assert faults_unkept > 8_000  # the case it is for: Python unmaps every empty arena
    faults, kept, reused = _second_small_batch("keep")
    assert faults < faults_unkept // 4  # (the list of a million pointers, 8 MB, is glibc's: faulted either way)
    assert reused >= 40 and kept >= 40  # the first batch's arenas served the second, and are kept again


@pytest.mark.skipif(allocator._arena_cache is None, reason="the arena cache is not built (no C compiler)")
def test_keeping_fewer_arenas_hands_the_others_back():
    script = """
from billing_runtime import allocator
allocator.keep_freed_arenas(8)
objects = [(n, n) for n in range(1_000_000)]
del objects
kept = allocator._arena_cache.stats()["kept"]
allocator.keep_freed_arenas(2)
print(kept, allocator._arena_cache.stats()["kept"])
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["8", "2"]
