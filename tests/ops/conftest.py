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


@pytest.fixture(autouse=True)
def _readiness_checks_the_sweep(settings):
    """As in production (tests/conftest.py turns the sweep check off for the other tests)."""
    settings.HELPDESK_READY_SWEEP_MAX_AGE_S = 300
