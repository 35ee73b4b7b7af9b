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
