"""Run callables at the same moment on real threads (each with its own database connection)."""

import threading
from collections.abc import Callable


def run_at_once(*actions: Callable[[], object]) -> list[object]:
    """Start every action together; return what each returned or raised, in order."""
    from django.db import connections

    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def run(index: int, action: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = action()
        except Exception as exc:  # collected for the assertions
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def wait_until_a_backend_waits_on_a_lock(timeout: float = 10) -> None:
    """Until another connection to the test database waits on a lock (PostgreSQL), so a test
    knows the other thread is blocked behind the one calling this."""
    import time

    from django.db import connections

    deadline = time.monotonic() + timeout
    with connections["default"].cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("no other transaction waited for a lock")
