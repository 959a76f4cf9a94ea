"""The allocators of a consuming process: keep freed memory for the next batch.

A consumer's heap breathes with its batches: each fetch from Kafka is tens of MiB, copied twice
on its way in (the socket's buffer, then the response), and a batch's messages and objects come
and go with it. glibc hands large blocks back to the kernel as soon as they are freed (blocks
above its mmap threshold, and free memory above its trim threshold at the top of the heap), and
the next batch takes them again page by page: a page fault and a zeroed page every 4 KiB. In
`make bench` the faults were about a tenth of a consumer's CPU.

`keep_freed_memory` raises both thresholds: blocks up to 32 MiB (glibc's most) come from the heap,
and up to 256 MiB of free heap is kept. A bare aiokafka consumer reading 500,000 usage messages
with the consumer's fetch sizes, five interleaved runs each: 348 -> 212 page faults per 1,000
messages, 2.75 -> 2.55 CPU µs a message (medians). The price is a resident size that stays
near its peak instead of shrinking between batches, which a pod's memory limit has to allow
anyway.

Python's own small objects (records, usages, keys: about a kilobyte an event) come from arenas of
1 MiB that Python maps from the kernel itself, not from glibc, and unmaps as soon as one is empty:
every batch's arenas were faulted in afresh. `keep_freed_memory` also keeps up to 256 MiB of freed
arenas for reuse (the compiled `_arena_cache`, where it is built). In a `perf` profile of L4 on
2026-11-30, zeroing fresh pages (`clear_page_erms`) was 18.5% of a consumer's CPU and its page
faults a few more. A bare aiokafka consumer reading 500,000 of the bench's messages with the
compiled record unpacking, the consumer's fetch sizes (see `subscriptions`) and the thresholds
above, three interleaved runs each: 192-268 page faults per 1,000 messages and 1.41-1.85 CPU µs a
message before; 92 and 1.25-1.36 with the arenas kept; 8 and 1.21-1.30 with the arenas kept and
fetches below the largest heap block too.
"""

import ctypes
import ctypes.util
import logging
import platform

try:  # built by `make install` (runtime/build_compiled.py) where a C compiler is
    from billing_runtime import _arena_cache
except ImportError:  # pragma: no cover - a build without a compiler: arenas come and go as Python does it
    _arena_cache = None

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
LARGEST_HEAP_BLOCK = 32 * 1024 * 1024
"""glibc refuses an mmap threshold above 32 MiB (on 64-bit): larger blocks are always mapped."""
FREE_HEAP_KEPT = 256 * 1024 * 1024
ARENAS_KEPT = 256
"""Freed arenas of Python's small objects kept for reuse (1 MiB each)."""


def keep_freed_memory() -> bool:
    """Keep freed arenas (see the module) and set glibc's thresholds; whether the thresholds were set
    (glibc only: elsewhere nothing)."""
    keep_freed_arenas()
    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    done = mallopt(M_MMAP_THRESHOLD, LARGEST_HEAP_BLOCK) == 1 and mallopt(M_TRIM_THRESHOLD, FREE_HEAP_KEPT) == 1
    if not done:
        log.warning("the C allocator refused to keep freed memory: batches fault their pages in again")
    return done


def keep_freed_arenas(most: int = ARENAS_KEPT) -> bool:
    """Keep up to `most` freed arenas of Python's small objects for reuse; whether it can (the
    compiled part is built). Fewer than kept now hands the rest back to the kernel."""
    if _arena_cache is None:
        return False
    _arena_cache.keep(most)
    return True
