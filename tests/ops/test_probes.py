"""/healthz and /readyz: what load balancers and Kubernetes probes see, failures included."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connections
from django.test import Client
from django.utils import timezone

from helpdesk.celery import app as celery_app
from ops import probes
from ops.services import SLA_SWEEP, heartbeat_record
from sla.tasks import sweep_sla
from tests.faults.conftest import _drop_broker_connections


@pytest.fixture
def probe() -> Client:
    # What a kubelet sends: plain HTTP, the pod's address as Host, no cookie.
    return Client(HTTP_HOST="10.0.0.7:8000")


@pytest.fixture
def hardened(settings):
    """Production's settings: HTTPS redirect, strict hosts."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["helpdesk.example.com"]


@pytest.fixture
def swept_now(transactional_db):
    heartbeat_record(name=SLA_SWEEP)


@pytest.fixture
def broker_at(private_redis):
    """The broker of this process on a private Redis: `broker_at(url)` points it elsewhere."""
    saved = celery_app.conf.broker_url

    def point(url: str) -> None:
        _drop_broker_connections()
        celery_app.conf.broker_url = url

    point(private_redis.url)
    yield point
    point(saved)


# --- /healthz ------------------------------------------------------------------------------------


def test_healthz_answers_without_database_session_or_https_redirect(probe, hardened):
    # No django_db mark: any query here would fail the test.
    response = probe.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "sessionid" not in response.cookies
    assert "no-cache" in response["Cache-Control"]


def test_healthz_has_no_language_redirect_nor_slash_redirect(probe):
    response = probe.get("/healthz", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200
    assert "Content-Language" not in response


# --- /readyz -------------------------------------------------------------------------------------
# The checks run in threads with their own connections: the rows they read must be committed.


@pytest.mark.django_db(transaction=True)
def test_readyz_is_200_when_database_cache_broker_and_sweep_answer(probe, hardened, broker_at):
    heartbeat_record(name=SLA_SWEEP)
    response = probe.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert body["failed"] == []
    assert set(body["checks"]) == {"database", "cache", "broker", "sweep"}
    assert all(check["ok"] for check in body["checks"].values())


@pytest.mark.django_db(transaction=True)
def test_readyz_names_the_broker_when_it_is_down(probe, broker_at, closed_port, swept_now):
    broker_at(f"redis://127.0.0.1:{closed_port}/0")
    started = time.monotonic()
    response = probe.get("/readyz")
    assert time.monotonic() - started < 2
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["broker"]
    assert body["checks"]["broker"] == {
        "ok": False,
        "error": "unavailable",
        "seconds": body["checks"]["broker"]["seconds"],
    }
    # The answer is public: it names no host or port.
    assert str(closed_port) not in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_readyz_names_the_cache_when_the_shared_cache_is_down(
    probe, settings, broker_at, closed_port, swept_now
):
    settings.CACHES = {
        "default": {
            "BACKEND": "helpdesk.cache.FailOpenRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/1",
        }
    }
    response = probe.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["cache"]


@pytest.mark.django_db(transaction=True)
def test_readyz_names_the_database_when_it_refuses_connections(
    probe, monkeypatch, broker_at, closed_port, swept_now
):
    # The checks run in their own threads, which open their own connections: from these
    # settings, to a port where nothing listens (this thread's connection is untouched).
    broken = {**connections.settings["default"], "PORT": str(closed_port), "OPTIONS": {}}
    monkeypatch.setitem(connections.settings, "default", broken)
    response = probe.get("/readyz")
    assert response.status_code == 503
    # The sweep's heartbeat is read from the database too: it cannot be vouched for either.
    assert response.json()["failed"] == ["database", "sweep"]


@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_when_the_last_sweep_is_older_than_the_limit(probe, settings, broker_at):
    settings.HELPDESK_READY_SWEEP_MAX_AGE_S = 120
    heartbeat_record(name=SLA_SWEEP, at=timezone.now() - timedelta(seconds=121))
    response = probe.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["sweep"]
    assert body["checks"]["sweep"]["error"] == "stale"

    heartbeat_record(name=SLA_SWEEP, at=timezone.now() - timedelta(seconds=100))
    assert probe.get("/readyz").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_before_any_sweep_ran(probe, broker_at):
    response = probe.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["sweep"]["error"] == "never"


@pytest.mark.django_db(transaction=True)
def test_the_sweep_check_can_be_turned_off(probe, settings, broker_at):
    settings.HELPDESK_READY_SWEEP_MAX_AGE_S = 0
    response = probe.get("/readyz")
    assert response.status_code == 200
    assert "sweep" not in response.json()["checks"]


@pytest.mark.django_db(transaction=True)
def test_the_sla_sweep_task_records_its_heartbeat(probe, broker_at):
    before = timezone.now()
    sweep_sla.apply()
    assert probe.get("/readyz").status_code == 200
    from ops.selectors import heartbeat_at

    last = heartbeat_at(name=SLA_SWEEP)
    assert last is not None and last >= before


@pytest.mark.django_db(transaction=True)
def test_readyz_answers_timeout_in_time_when_a_server_hangs(
    probe, settings, monkeypatch, broker_at, swept_now
):
    settings.HELPDESK_READY_TIMEOUT_S = 1
    release = threading.Event()
    monkeypatch.setattr(probes, "check_cache", lambda: release.wait(10))
    started = time.monotonic()
    try:
        response = probe.get("/readyz")
    finally:
        release.set()
    assert time.monotonic() - started < 1.9
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["cache"]
    assert body["checks"]["cache"]["error"] == "timeout"
