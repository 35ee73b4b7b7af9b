"""gunicorn settings: docker-compose's web service and every bench (bench/api.py, bench/load.py)
start gunicorn with `--config gunicorn.conf.py`.

Worker class and count were chosen by measurement on the 2-core bench machine (bench/RESULTS.md,
"The write path at scale"): 2 processes of 4 threads each created tickets 1.6–2.2× faster than
2, 3 or 4 sync workers, and faster than 2 × 8 or 3 × 4 threads — a request spends much of its
time waiting on PostgreSQL, and the threads overlap those waits. Each setting can be overridden
by an environment variable.
"""

import os
import sys

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# Seconds an idle keep-alive connection is held open (gthread keeps connections alive).
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None  # "-" for stdout

# Prometheus' multi-process mode (PROMETHEUS_MULTIPROC_DIR): empty its directory at start and drop
# a dead worker's gauges. The project root is put on the path so the hooks can be imported.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ops.gunicorn import child_exit, on_starting  # noqa: E402, F401
