"""`make run`: the web server, a Celery worker and exactly one beat, stopped together by Ctrl-C.

And by SIGTERM or SIGHUP (`kill`, the terminal closed): those ended the web server alone and
left the worker and beat running without it, on the old code; the next `make run` then had
two workers and two beats on one SQLite database.
"""

import os
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from helpdesk.demo_server import RunserverCommand

# Besides Ctrl-C (SIGINT, a KeyboardInterrupt already): the signals that stop everything.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def _stop(number: int, frame: Any) -> None:
    raise KeyboardInterrupt  # in the main thread: the web server returns, the children stop


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and Celery beat in one terminal."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))

    def handle(self, *args: Any, **options: Any) -> None:
        previous = {number: signal.signal(number, _stop) for number in STOP_SIGNALS}
        try:
            self._run(options)
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)

    def _run(self, options: dict[str, Any]) -> None:
        celery = [sys.executable, "-m", "celery", "-A", "helpdesk"]
        # Threads, not prefork: SQLite and the filesystem broker are happiest in one process.
        children = [
            subprocess.Popen(
                [*celery, "worker", "--pool=threads", "--concurrency=2", "-l", "warning"]
            ),
            subprocess.Popen(
                [*celery, "beat", "-l", "warning", "-s", settings.CELERY_BEAT_SCHEDULE_FILENAME]
            ),
        ]
        self.stdout.write(
            self.style.SUCCESS(f"The helpdesk is at {settings.HELPDESK_BASE_URL}/")
            + " (Ctrl-C stops the web server, the worker and beat)"
        )
        try:
            # runserver, with a time limit on each connection (helpdesk/demo_server.py).
            call_command(
                RunserverCommand(), f"{options['host']}:{options['port']}", use_reloader=False
            )
        except KeyboardInterrupt:
            pass
        finally:
            for child in children:
                child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
