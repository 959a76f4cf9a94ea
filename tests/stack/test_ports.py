"""Free ports for a stack's servers lie below the kernel's ephemeral range, where no outgoing
connection can take one before its server binds it."""

import socket

from devstack.ports import HOST, LOWEST, ephemeral_range, free_port


def test_free_ports_are_below_the_ephemeral_range_and_free():
    low, high = ephemeral_range()
    assert LOWEST < low <= high
    ports = [free_port() for _ in range(50)]
    assert all(LOWEST <= port < low for port in ports)
    for port in ports[:5]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
            server.bind((HOST, port))

