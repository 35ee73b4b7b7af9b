"""gunicorn hooks for Prometheus' multi-process mode: `gunicorn -c python:ops.gunicorn …`.

With PROMETHEUS_MULTIPROC_DIR set, every worker writes its counters to files in that directory
and a scrape of any worker adds them up (ops/metrics.py). The directory must start empty (files
of an earlier run would be counted again) and a dead worker's live gauges must be dropped.
Other settings still come from the command line (`--workers`, `--bind`, …).
"""

import os
from pathlib import Path
from typing import Any


def on_starting(server: Any) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if directory:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):  # only prometheus-client's files, never anything else
            stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
