"""How long after a broker (Redis) outage the SLA sweep runs again: prints one line per outage.

Starts a private redis-server on a free port, a Celery worker and a Celery beat on it (the
settings of helpdesk/settings.py: the sweep every HELPDESK_SLA_SWEEP_SECONDS, default 30 s),
waits for a first sweep, then for each outage length given (seconds; default 60 and 180) stops
Redis, waits, starts it again on the same port and measures, from the moment Redis answers again:

* when the worker logs that it is connected again (kombu's reconnect back-off: it retries
  after 2, 4, 6 … s, then every 30 s, so the gap grows with the outage), and
* when the next sweep has run (the beat publishes one every period once Redis is back; the
  worker runs it once it has reconnected).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench \\
        .venv/bin/python bench/sla_catchup.py 60 180

The database needs the migrations (`manage.py migrate`); it is only read by the sweep.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SWEPT = re.compile(r"Task sla\.tasks\.sweep_sla\[[^]]+\] succeeded")
CONNECTED = re.compile(r"Connected to redis://")
NO_DISK = ["--appendonly", "no"]
WORKER_QUIET = ["--without-heartbeat", "--without-gossip", "--without-mingle"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class Redis:
    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        server = shutil.which("redis-server") or "redis-server"
        arguments = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", *NO_DISK]
        self.process = subprocess.Popen(
            [server, *arguments, "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while not answers(self.port):
            time.sleep(0.05)

    def stop(self) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=10)


def celery(arguments: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "helpdesk", *arguments],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def wait_for(
    log: Path, pattern: re.Pattern[str], *, after: int, since: float, timeout: float
) -> float | None:
    """Seconds from `since` (monotonic) until `pattern` appears in `log` beyond byte `after`
    (None on timeout)."""
    while time.monotonic() - since < timeout:
        if pattern.search(log.read_bytes()[after:].decode(errors="replace")):
            return time.monotonic() - since
        time.sleep(0.1)
    return None


def main() -> None:
    outages = [int(value) for value in sys.argv[1:]] or [60, 180]
    period = int(os.environ.get("HELPDESK_SLA_SWEEP_SECONDS", "30"))
    with tempfile.TemporaryDirectory() as directory:
        var = Path(directory)
        redis = Redis(var)
        redis.start()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis.port}/0",
            "HELPDESK_VAR_DIR": str(var),
            "HELPDESK_SLA_SWEEP_SECONDS": str(period),
        }
        worker_log, beat_log = var / "worker.log", var / "beat.log"
        worker = celery(
            ["worker", "--pool=solo", "--loglevel=INFO", *WORKER_QUIET],
            env,
            worker_log,
        )
        beat = celery(["beat", "--loglevel=INFO"], env, beat_log)
        try:
            first = wait_for(
                worker_log, SWEPT, after=0, since=time.monotonic(), timeout=3 * period + 60
            )
            print(f"sweep period {period} s; first sweep {first} s after start")
            for outage in outages:
                redis.stop()
                time.sleep(outage)
                mark = worker_log.stat().st_size
                redis.start()
                back = time.monotonic()
                connected = wait_for(worker_log, CONNECTED, after=mark, since=back, timeout=120)
                swept = wait_for(worker_log, SWEPT, after=mark, since=back, timeout=180)
                print(
                    f"Redis down {outage} s: worker connected again after "
                    f"{connected if connected is None else round(connected, 1)} s, "
                    f"next sweep ran {swept if swept is None else round(swept, 1)} s after "
                    "Redis returned"
                )
        finally:
            for process in (beat, worker):
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
            redis.stop()
            if os.environ.get("SLA_CATCHUP_LOGS"):  # keep the worker's and beat's logs
                shutil.copytree(var, os.environ["SLA_CATCHUP_LOGS"], dirs_exist_ok=True)


if __name__ == "__main__":
    main()
