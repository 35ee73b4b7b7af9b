import socket

import pytest

from tests.faults.conftest import (  # noqa: F401 (fixtures)
    broker_on,
    private_postgres,
    private_redis,
)


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
