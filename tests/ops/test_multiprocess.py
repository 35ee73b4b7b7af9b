"""Several gunicorn workers: a scrape of any one of them counts every worker's requests."""

import http.client
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from tests.faults.conftest import gunicorn_serving

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

ROOT = Path(settings.BASE_DIR)
TOKEN = "multi-process-metrics-token"
BATCH = 40
BATCHES = 25


def _workers(directory: Path) -> set[str]:
    return {path.stem.rsplit("_", 1)[1] for path in directory.glob("counter_*.db")}


def _get(port: int, path: str, **headers: str) -> tuple[int, bytes]:
    link = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        link.request("GET", path, headers=headers)
        answer = link.getresponse()
        return answer.status, answer.read()
    finally:
        link.close()


def gunicorn(env: dict[str, str], log: Path) -> AbstractContextManager[int]:
    return gunicorn_serving(
        options=["-c", "python:ops.gunicorn", "--workers", "2"],
        env=env,
        log=log,
        ready=lambda port: _get(port, "/healthz")[0] == 200,
    )


def _readyz_count(body: bytes) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
        if sample.name == "helpdesk_http_requests_total" and sample.labels["route"] == "readyz"
    )


def test_every_workers_requests_are_counted_and_an_earlier_runs_files_are_not(tmp_path):
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "HELPDESK_VAR_DIR": str(tmp_path),
        "HELPDESK_METRICS_TOKEN": TOKEN,
        "HELPDESK_LOG_LEVEL": "WARNING",
        "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
        "HELPDESK_READY_SWEEP_MAX_AGE_S": "0",
    }
    env.pop("DJANGO_DEBUG", None)
    # A previous run left 1000 requests in the directory: the new server must not count them.
    subprocess.run(
        [
            sys.executable, "-c",
            "from prometheus_client import Counter\n"
            "requests = Counter('helpdesk_http_requests', '', ['route', 'method', 'status'])\n"
            "requests.labels('readyz', 'GET', '200').inc(1000)",
        ],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    assert list(multiproc.glob("counter_*.db"))

    with gunicorn(env, tmp_path / "gunicorn.log") as port:
        # /readyz (a few milliseconds of checks), eight at a time, until both workers have
        # answered some (a sync worker takes what it can; bounded).
        sent = 0
        with ThreadPoolExecutor(max_workers=8) as pool:
            for _batch in range(BATCHES):
                statuses = list(pool.map(lambda _n: _get(port, "/readyz")[0], range(BATCH)))
                assert statuses == [200] * BATCH
                sent += BATCH
                if len(_workers(multiproc)) == 2:
                    break
        assert len(_workers(multiproc)) == 2, "both workers should have answered some requests"

        counts = set()
        for _scrape in range(6):  # each scrape lands on one worker or the other
            status, body = _get(port, "/metrics", Authorization=f"Bearer {TOKEN}")
            assert status == 200, body
            counts.add(_readyz_count(body))
        # Every worker's answers, and not the earlier run's 1000.
        assert counts == {sent}
