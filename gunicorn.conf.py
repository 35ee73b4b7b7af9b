"""gunicorn settings: docker-compose's web service and every bench (bench/api.py, bench/load.py)
start gunicorn with `--config gunicorn.conf.py`.

Worker class and count were chosen by measurement on the 2-core bench machine (bench/RESULTS.md,
"The write path at scale"); each can be overridden by an environment variable.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# Behind a proxy that keeps connections open to us (ignored by the sync worker).
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None  # "-" for stdout
