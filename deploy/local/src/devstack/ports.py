"""Loopback ports: taken ones are reported in one sentence, free ones found for tests."""

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


def free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def require_free(port: int, what: str, env_var: str) -> None:
    if port_in_use(port):
        raise StackError(
            f"Port {port} on {HOST}, wanted for {what}, is already in use; stop whatever holds it "
            f"(`make stop` if it is an earlier stack) or choose another port with {env_var}=<port>."
        )
