"""The consumer's C allocator keeps what it freed (glibc): a batch's memory is not faulted in again."""

import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the thresholds are glibc's")

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


def test_a_second_batch_reuses_the_first_ones_memory():
    assert _second_batch_faults("default") > 40 * 512 // 2  # the case it is for: glibc gives it back
    assert _second_batch_faults("keep") < 40 * 512 // 20

