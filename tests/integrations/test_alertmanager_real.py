"""End to end with a real Prometheus Alertmanager (Debian's prometheus-alertmanager).

The test starts Alertmanager on a free loopback port, its webhook receiver pointing at the live
test server with the integration's bearer token; pushes an alert to its API; waits for the
incident; resolves the alert (endsAt in the past) and waits for the incident to be resolved.
"""

import json
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from integrations.models import AlertStatus, MonitoredAlert
from tickets.models import Priority, Source, Status, Ticket

BINARY = os.environ.get("ALERTMANAGER_BINARY", "/usr/bin/prometheus-alertmanager")

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.access(BINARY, os.X_OK),
        reason=f"{BINARY} is missing: apt-get install prometheus-alertmanager (.ci/run does)",
    ),
]

CONFIG = """
global:
  resolve_timeout: 30s
route:
  receiver: helpdesk
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: helpdesk
    webhook_configs:
      - url: {url}
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {token}
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(what: str, condition: Callable[[], Any], *, timeout: float, log: Path) -> Any:
    """Poll `condition` until it returns something truthy, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}; Alertmanager's log:\n{log.read_text()[-4000:]}")


def _http(method: str, url: str, body: Any = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - a loopback URL built by the test
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
            return response.status
    except OSError:
        return 0


@pytest.fixture
def default_rules():
    """The rules the data migration installs; a flush by an earlier transactional test on this
    worker may have removed them."""
    from importlib import import_module

    from django.apps import apps

    import_module("integrations.migrations.0002_default_rules").add_rules(apps, None)


@pytest.fixture
def alertmanager_url(request, live_server, alertmanager, default_rules, tmp_path) -> str:
    port = _free_port()
    config = tmp_path / "alertmanager.yml"
    config.write_text(
        CONFIG.format(
            url=f"{live_server.url}/api/integrations/alertmanager/", token=alertmanager.token
        )
    )
    log = tmp_path / "alertmanager.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - fixed binary and arguments
            [
                BINARY,
                f"--config.file={config}",
                f"--storage.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                "--log.level=debug",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def stop() -> None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    request.addfinalizer(stop)
    url = f"http://127.0.0.1:{port}"
    request.node.alertmanager_log = log
    _wait_for(
        "Alertmanager to be ready",
        lambda: process.poll() is not None or _http("GET", f"{url}/-/ready") == 200,
        timeout=20,
        log=log,
    )
    assert process.poll() is None, log.read_text()
    return url


def test_a_real_alertmanager_opens_and_then_resolves_one_incident(
    request, alertmanager_url, alertmanager
):
    log = request.node.alertmanager_log
    started = datetime.now(UTC) - timedelta(seconds=5)
    alert = {
        "labels": {"alertname": "HelpdeskE2E", "service": "checkout", "severity": "critical"},
        "annotations": {"summary": "Checkout is down", "description": "Probe failed 3 times."},
        "startsAt": started.isoformat(),
        "generatorURL": "http://prometheus.invalid/graph?g0.expr=up",
    }

    assert _http("POST", f"{alertmanager_url}/api/v2/alerts", [alert]) == 200
    ticket = _wait_for(
        "the incident",
        lambda: Ticket.objects.filter(requester=alertmanager.integration.service_account).first(),
        timeout=30,
        log=log,
    )
    assert (ticket.title, ticket.source, ticket.priority, ticket.status) == (
        "Checkout is down",
        Source.MONITORING,
        Priority.P1,
        Status.PRIORITIZED,
    )

    resolved = {**alert, "endsAt": (datetime.now(UTC) - timedelta(seconds=1)).isoformat()}
    assert _http("POST", f"{alertmanager_url}/api/v2/alerts", [resolved]) == 200
    _wait_for(
        "the incident to be resolved",
        lambda: Ticket.objects.filter(pk=ticket.pk, status=Status.RESOLVED).exists(),
        timeout=30,
        log=log,
    )

    assert Ticket.objects.filter(requester=alertmanager.integration.service_account).count() == 1
    monitored = MonitoredAlert.objects.get()
    assert (monitored.status, monitored.ticket_id) == (AlertStatus.RESOLVED, ticket.pk)
    assert ticket.comments.get().body.startswith("Recovered at ")
