"""After-commit hand-offs gathered per process: many requests' items, one round trip.

Once a write commits, two things go to Redis: each new outbox row to the workers (a Celery
publish, about 15 % of a ticket create's CPU through the API, bench/create_profile.py) and the
live queues' change stamps (`tickets.live`). With HELPDESK_GATHER_SECONDS > 0 the committing
thread only hands its items to a `Gatherer`: one thread per process waits that long after the
first item, then sends every item that arrived meanwhile in one call. Under load one publish
serves many requests; when idle an email leaves, or a console learns of a change, that much
later. With 0 the committing thread sends its own items (the tests, except tests of this).

An item whose send never happens (the process ended while gathering, Redis down) is not lost
for the outbox: its row is in the database and the outbox sweep delivers it, as after a broker
outage; a lost stamp is made up by the next change or the console's full refresh.
"""

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from django.conf import settings

logger = logging.getLogger(__name__)

T = TypeVar("T")


def gathering() -> bool:
    """Whether after-commit hand-offs go through a Gatherer (HELPDESK_GATHER_SECONDS > 0)."""
    return settings.HELPDESK_GATHER_SECONDS > 0


class Gatherer(Generic[T]):
    """Items put by any thread, sent in batches of at most `max_batch` by one daemon thread
    per process (started on first use, and again in a forked child)."""

    def __init__(
        self,
        name: str,
        *,
        send: Callable[[list[T]], None],
        window: Callable[[], float] = lambda: settings.HELPDESK_GATHER_SECONDS,
        max_batch: int = 200,
    ) -> None:
        self._name = name
        self._send_batch = send
        self._window = window
        self._max_batch = max_batch
        self._pid: int | None = None
        self._start_lock = threading.Lock()
        self._ready = threading.Condition()
        self._items: list[T] = []
        self._in_flight = 0
        atexit.register(self.flush)

    def put(self, items: list[T]) -> None:
        self._start_once()
        with self._ready:
            self._items.extend(items)
            self._ready.notify_all()

    def wait_sent(self, timeout: float) -> bool:
        """Whether every item put so far was sent (or failed to be) within `timeout`."""
        with self._ready:
            return self._ready.wait_for(lambda: not self._items and not self._in_flight, timeout)

    def flush(self) -> None:
        """Send what is waiting now, in this thread (at exit: nothing that could still be sent
        is left behind)."""
        if self._pid != os.getpid():
            return
        while batch := self._take():
            self._send(batch)

    def _start_once(self) -> None:
        pid = os.getpid()
        if self._pid == pid:
            return
        with self._start_lock:
            if self._pid == pid:
                return
            # A forked child inherits the parent's items and lock state, not its thread.
            self._ready = threading.Condition()
            self._items, self._in_flight = [], 0
            threading.Thread(target=self._run, name=f"gather-{self._name}", daemon=True).start()
            self._pid = pid

    def _run(self) -> None:
        while True:
            with self._ready:
                self._ready.wait_for(lambda: bool(self._items))
            time.sleep(self._window())  # let other requests' items join this send
            while batch := self._take():
                self._send(batch)

    def _take(self) -> list[T]:
        with self._ready:
            batch, self._items = self._items[: self._max_batch], self._items[self._max_batch :]
            self._in_flight += len(batch)
            return batch

    def _send(self, batch: list[T]) -> None:
        try:
            self._send_batch(batch)
        except Exception:  # never lose the thread (see the module for what makes up for it)
            logger.exception("sending %s gathered %s failed", len(batch), self._name)
        finally:
            with self._ready:
                self._in_flight -= len(batch)
                self._ready.notify_all()
