"""A monitoring integration's notes are automatic: the SLA replay (`sla_recompute`,
`sla_verify`) gives the clocks the live hooks gave."""

from io import StringIO

import pytest
from django.core.management import call_command

from integrations.models import MonitoredAlert
from sla.models import Metric, SlaClock
from sla.services import clocks_replay
from tests.integrations.conftest import payload

pytestmark = pytest.mark.django_db

FIELDS = ["metric", "cycle", "state", "due_at", "stopped_at"]


def test_a_recovery_note_starts_no_next_response_clock_in_the_replay(alertmanager, post_alerts):
    post_alerts(alertmanager.token, payload("alertmanager_firing"))
    post_alerts(alertmanager.token, payload("alertmanager_resolved"))
    ticket = MonitoredAlert.objects.get().ticket
    # Public, and written by the service account, which is the ticket's requester.
    assert ticket.comments.filter(is_internal=False, author=ticket.requester).exists()

    live = sorted(
        tuple(getattr(c, f) for f in FIELDS) for c in SlaClock.objects.filter(ticket=ticket)
    )
    replayed = sorted(tuple(getattr(c, f) for f in FIELDS) for c in clocks_replay(ticket=ticket))
    assert replayed == live
    assert Metric.NEXT_RESPONSE not in {clock[0] for clock in live}
    out = StringIO()
    call_command("sla_verify", "--ticket", str(ticket.pk), stdout=out)
    assert "every figure agrees with the clocks" in out.getvalue()
