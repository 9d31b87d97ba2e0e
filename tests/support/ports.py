"""Ports on 127.0.0.1: one that nothing listens on, and whether something listens."""

from __future__ import annotations

import socket

HOST = "127.0.0.1"


def free_port() -> int:
    """A port that nothing listens on, for a server to start on or a refused connection.

    The port is released before returning; another process *could* take it, but the
    kernel hands out ephemeral ports round-robin, so in practice it stays free.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def listening(port: int, host: str = HOST) -> bool:
    """Whether a TCP connection to ``host:port`` is accepted now."""
    try:
        socket.create_connection((host, port), timeout=0.5).close()
    except OSError:
        return False
    return True
