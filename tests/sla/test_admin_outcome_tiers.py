"""The admin's SLA outcomes name each tier ("L2 technical"), in the column and its filter: they
showed 1, 2, 3 (the column has no choices)."""

from datetime import UTC, date, datetime

import pytest

from sla.models import SlaOutcome, SlaOutcomeDay
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def _outcome(tier: int) -> SlaOutcome:
    return SlaOutcome.objects.create(
        ticket=TicketFactory(),
        metric="resolution",
        cycle=1,
        met=False,
        at=datetime(2026, 3, 2, 9, tzinfo=UTC),
        kind="incident",
        priority=2,
        tier=tier,
    )


def test_outcomes_name_their_tier_and_filter_by_it(manager_admin_client):
    _outcome(2)
    _outcome(3)

    page = manager_admin_client.get("/admin/sla/slaoutcome/").content.decode()
    filtered = manager_admin_client.get("/admin/sla/slaoutcome/", {"tier": "2"})

    assert '<td class="field-_tier_label">L2 technical</td>' in page
    assert '<td class="field-_tier_label">L3 experts</td>' in page
    assert "?tier=3" in page  # the filter offers the tiers by name
    assert filtered.context["cl"].result_count == 1


def test_outcome_days_name_their_tier_in_spanish(manager_admin_client, manager):
    SlaOutcomeDay.objects.create(
        day=date(2026, 3, 2), metric="resolution", kind="incident", priority=2, tier=1, met=1
    )
    manager.language = "es"
    manager.save(update_fields=["language"])

    page = manager_admin_client.get("/admin/sla/slaoutcomeday/").content.decode()

    assert '<td class="field-_tier_label">L1 centro de servicio</td>' in page
