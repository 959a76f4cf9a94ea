"""Running `devstack` as a person would, in a state folder and on ports of the test's own."""

import os
import subprocess
import sys
from pathlib import Path

from devstack.endpoints import SERVICES
from devstack.ports import free_port
from devstack.processes import pid_alive  # noqa: F401 - the tests' view of a live process
from devstack.stack import StackConfig

REPO = Path(__file__).resolve().parents[2]
OVERRIDES = ("KAFKA_BOOTSTRAP_SERVERS", "POSTGRES_URL", "STRIPE_API_BASE", "STRIPE_API_KEY", "SMTP_HOST", "SMTP_PORT")


def devstack_env(state: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without overrides, every port free, the given extras on top."""
    env = {k: v for k, v in os.environ.items() if k not in OVERRIDES and not k.endswith("_DATABASE_URL")}
    env.update({var: str(free_port()) for _, var in StackConfig.PORTS.values()})
    env.update({f"{name.upper()}_PORT": str(free_port()) for name in SERVICES})
    env.update(BILLING_STATE_DIR=str(state), BILLING_STACK="local", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def devstack(*args: str, env: dict[str, str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "devstack", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120, **kwargs)


def processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that mention `text` (a state folder, say)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline and "pytest" not in cmdline:
            found.append(f"{proc.name}: {cmdline[:120]}")
    return found
