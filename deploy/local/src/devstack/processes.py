"""Child processes that cannot outlive the stack.

Each part runs in its own session (so a Ctrl-C reaches the supervisor, which stops the parts
in order) and asks the kernel to signal it when its parent dies (PR_SET_PDEATHSIG), so even a
supervisor killed with SIGKILL leaves no orphan behind.
"""

import ctypes
import os
import pwd
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from devstack.errors import StackError

_PR_SET_PDEATHSIG = 1


def _die_with_parent(sig: int) -> Callable[[], None]:
    def set_parent_death_signal() -> None:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, sig)

    return set_parent_death_signal


class ManagedProcess:
    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        *,
        env: dict[str, str] | None = None,
        user: str | None = None,
        stop_signal: int = signal.SIGTERM,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = env
        self.user = user
        self.stop_signal = stop_signal
        self.popen: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def start(self) -> "ManagedProcess":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                # Drop root's groups too: a group match would deny what "other" may do.
                user=self.user,
                group=self.user and pwd.getpwnam(self.user).pw_gid,
                extra_groups=[] if self.user else None,
                start_new_session=True,
                preexec_fn=_die_with_parent(self.stop_signal),  # noqa: PLW1509 - only prctl runs there
            )
        return self

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout: float = 30.0) -> None:
        stop_all([self], timeout)

    def ask_to_stop(self) -> None:
        if self.popen is not None and self.alive():
            signal_group(self.popen.pid, self.stop_signal)

    def wait_or_kill(self, timeout: float) -> None:
        """Wait for a clean exit, then kill the whole process group (it may have children)."""
        if self.popen is None:
            return
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        signal_group(self.popen.pid, signal.SIGKILL)
        try:
            self.popen.wait(5)
        except subprocess.TimeoutExpired:
            pass

    def last_lines(self, count: int = 5) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return ""
        return " | ".join(line.strip() for line in lines[-count:] if line.strip())

    def wait_until(self, ready: Callable[[], bool], timeout: float, what: str) -> None:
        """Poll `ready` until it holds; fail with the log's tail if the process dies or stalls."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise StackError(
                    f"{self.name} exited while starting (log {self.log_path}): {self.last_lines()}"
                )
            if ready():
                return
            time.sleep(0.2)
        raise StackError(
            f"{self.name} was not {what} after {timeout:.0f} s; read its log at {self.log_path}."
        )


def pid_alive(pid: int) -> bool:
    """Whether `pid` still runs; a zombie (exited, not yet reaped by its parent) does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def signal_group(pid: int, sig: int) -> None:
    """Signal the process group led by `pid`; one that is gone already is fine."""
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_all(processes: Sequence[ManagedProcess], timeout: float = 30.0) -> None:
    """Ask every process to stop at once, then wait for each (killing what will not go)."""
    for process in processes:
        process.ask_to_stop()
    for process in processes:
        process.wait_or_kill(timeout)
