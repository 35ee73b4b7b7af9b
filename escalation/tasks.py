from celery import shared_task

from escalation.services import calls_release_due_holds


@shared_task
def resume_held_for_calls() -> int:
    """Resume the tickets put on hold until a scheduled call, once the call starts.

    Idempotent: each call's hold is claimed with a conditional UPDATE, so a re-run or two beats
    at once resume a ticket once.
    """
    return calls_release_due_holds()
