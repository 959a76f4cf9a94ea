"""Loopback ports: taken ones are reported in one sentence, free ones found for tests."""

import random
import socket

from devstack.errors import StackError

HOST = "127.0.0.1"


def port_in_use(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


LOWEST = 10_000
"""Free ports are drawn from here up to the kernel's ephemeral range."""


def ephemeral_range() -> tuple[int, int]:
    """The ports the kernel gives outgoing connections (and `bind` to port 0) on this machine."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as file:
            low, high = map(int, file.read().split())
    except (OSError, ValueError):
        return 32_768, 60_999  # Linux's default
    return low, high


def free_port(host: str = HOST) -> int:
    """A port free now, below the kernel's ephemeral range. A port from `bind` to port 0 lies in
    that range, where any outgoing connection (the broker's own, to its controller, say) can take
    it as its local port before the server meant to listen there binds it: a bench's Kafka once
    exited at start on its listener's port so. Below the range only another `bind` can take it.
    (On a machine whose range starts lower than `LOWEST`, or after 100 draws all taken, a port of
    the kernel's choosing.)"""
    low, _ = ephemeral_range()
    for _ in range(100 if low > LOWEST else 0):
        if not port_in_use(port := random.randrange(LOWEST, low), host):
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def require_free(port: int, what: str, env_var: str) -> None:
    if port_in_use(port):
        raise StackError(
            f"Port {port} on {HOST}, wanted for {what}, is already in use; stop whatever holds it "
            f"(`make stop` if it is an earlier stack) or choose another port with {env_var}=<port>."
        )
