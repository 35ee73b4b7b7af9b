"""Several gunicorn workers: a scrape of any one of them counts every worker's requests."""

import http.client
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from tests.faults.conftest import _free_port

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


@contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator[int]:
    port = _free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603
            [
                sys.executable, "-m", "gunicorn", "helpdesk.wsgi", "-c", "python:ops.gunicorn",
                "--workers", "2", "--bind", f"127.0.0.1:{port}", "--no-control-socket",
            ],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, log.read_text()
                try:
                    if _get(port, "/healthz")[0] == 200:
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.1)
            yield port
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


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
