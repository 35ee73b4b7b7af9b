"""The 72-hour clock, in calendar hours, with frozen time."""

from datetime import timedelta

import pytest
import time_machine

from breaches import services
from breaches.models import AuthorityDecision, Breach, BreachClockEvent
from helpdesk.errors import DomainError
from notifications.models import Notification
from tests.breaches.conftest import T0

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)


@pytest.fixture
def open_breach(at_t0, flagged_ticket, agent_l1, security_officer) -> Breach:
    return services.breach_flag_ticket(ticket=flagged_ticket, actor=agent_l1, description="Leak")


def _thresholds(breach):
    return list(
        BreachClockEvent.objects.filter(breach=breach).values_list("threshold_hours", flat=True)
    )


def _clock_mails():
    return list(
        Notification.objects.filter(kind__startswith="breach_clock")
        .order_by("id")
        .values_list("kind", "context__hours")
    )


def test_the_deadline_is_72_calendar_hours_even_over_a_weekend(security_officer):
    friday_evening = T0 + timedelta(days=4, hours=9)  # Friday 18:00
    with time_machine.travel(friday_evening, tick=False):
        breach = services.breach_create(actor=security_officer, title="Weekend")
    assert breach.notify_due_at == friday_evening + 72 * H  # Monday 18:00


def test_warnings_at_24_48_60_and_breach_at_72(open_breach):
    assert services.breach_clock_sweep(now=T0 + 24 * H - timedelta(seconds=1)) == 0
    assert _thresholds(open_breach) == []

    assert services.breach_clock_sweep(now=T0 + 24 * H) == 1
    assert services.breach_clock_sweep(now=T0 + 30 * H) == 0  # nothing new: idempotent
    assert services.breach_clock_sweep(now=T0 + 48 * H) == 1
    assert services.breach_clock_sweep(now=T0 + 60 * H) == 1
    assert services.breach_clock_sweep(now=T0 + 72 * H) == 1
    assert services.breach_clock_sweep(now=T0 + 200 * H) == 0  # nothing after the deadline

    assert _thresholds(open_breach) == [24, 48, 60, 72]
    assert _clock_mails() == [
        ("breach_clock_warning", "24"),
        ("breach_clock_warning", "48"),
        ("breach_clock_warning", "60"),
        ("breach_clock_overdue", "72"),
    ]
    open_breach.refresh_from_db()
    assert open_breach.clock_level == 72 and open_breach.clock_next_at is None


def test_several_thresholds_at_once_records_only_the_highest(open_breach):
    # The sweep was down for two and a half days.
    assert services.breach_clock_sweep(now=T0 + 61 * H) == 1

    assert _thresholds(open_breach) == [60]
    assert _clock_mails() == [("breach_clock_warning", "60")]
    open_breach.refresh_from_db()
    assert open_breach.clock_next_at == T0 + 72 * H


def test_moving_aware_at_back_records_only_the_highest_threshold(open_breach, security_officer):
    with time_machine.travel(T0 + 2 * H, tick=False):
        services.breach_update(breach=open_breach, actor=security_officer, aware_at=T0 - 70 * H)
        open_breach.refresh_from_db()
        assert open_breach.notify_due_at == T0 + 2 * H
        services.breach_clock_sweep(now=T0 + 2 * H)

    assert _thresholds(open_breach) == [72]
    assert _clock_mails() == [("breach_clock_overdue", "72")]


def test_the_sweep_leaves_a_history_entry_with_no_actor(open_breach):
    services.breach_clock_sweep(now=T0 + 25 * H)

    entry = open_breach.audit_entries.latest("id")
    assert entry.actor is None and entry.action == "clock"
    assert entry.changes["clock_level"] == [0, 24]


def test_notifying_stops_the_clock(open_breach, security_officer):
    with time_machine.travel(T0 + 30 * H, tick=False):
        services.breach_notify_authority(
            breach=open_breach,
            actor=security_officer,
            notified_at=T0 + 30 * H,
            reference="AEPD-2026-001",
        )

    assert services.breach_clock_sweep(now=T0 + 100 * H) == 0
    assert _thresholds(open_breach) == []
    open_breach.refresh_from_db()
    assert open_breach.clock_stopped_at == T0 + 30 * H
    assert open_breach.authority_decision == AuthorityDecision.NOTIFIED
    assert not open_breach.is_overdue()


def test_deciding_not_to_notify_stops_the_clock_and_needs_a_reason(open_breach, security_officer):
    with pytest.raises(DomainError):
        services.breach_decide_not_to_notify(breach=open_breach, actor=security_officer, reason="")

    services.breach_decide_not_to_notify(
        breach=open_breach, actor=security_officer, reason="Encrypted laptop, key not exposed."
    )

    assert services.breach_clock_sweep(now=T0 + 100 * H) == 0
    open_breach.refresh_from_db()
    assert open_breach.authority_decision == AuthorityDecision.NOT_NOTIFIED


def test_late_notification_requires_the_reasons(open_breach, security_officer):
    late = T0 + 73 * H
    with time_machine.travel(late, tick=False):
        with pytest.raises(DomainError) as error:
            services.breach_notify_authority(
                breach=open_breach, actor=security_officer, notified_at=late
            )
        assert error.value.field == "late_reason"

        services.breach_notify_authority(
            breach=open_breach,
            actor=security_officer,
            notified_at=late,
            late_reason="The processor told us only on day 3.",
        )

    open_breach.refresh_from_db()
    assert open_breach.late_reason == "The processor told us only on day 3."
    assert open_breach.is_overdue()


def test_notification_on_the_deadline_is_not_late(open_breach, security_officer):
    with time_machine.travel(T0 + 72 * H, tick=False):
        services.breach_notify_authority(
            breach=open_breach, actor=security_officer, notified_at=T0 + 72 * H
        )
    open_breach.refresh_from_db()
    assert not open_breach.is_overdue()


def test_late_notification_through_the_api_is_a_400(open_breach, security_officer, api):
    with time_machine.travel(T0 + 80 * H, tick=False):
        response = api(security_officer).post(
            f"/api/breaches/{open_breach.pk}/notify-authority/",
            {"notified_at": (T0 + 80 * H).isoformat()},
            "json",
        )
    assert response.status_code == 400
    assert "late_reason" in response.json()["errors"]


def test_follow_ups_are_separate_rows(open_breach, security_officer):
    with time_machine.travel(T0 + 80 * H, tick=False):
        services.breach_notify_authority(
            breach=open_breach, actor=security_officer, notified_at=T0 + 10 * H, reference="R-1"
        )
        services.breach_notify_authority(
            breach=open_breach, actor=security_officer, notified_at=T0 + 79 * H, summary="Phase 2"
        )

    phases = list(open_breach.authority_notifications.values_list("phase", "notified_at"))
    assert phases == [("initial", T0 + 10 * H), ("follow_up", T0 + 79 * H)]
    open_breach.refresh_from_db()
    assert open_breach.clock_stopped_at == T0 + 10 * H  # the follow-up does not move it


def test_notification_time_cannot_precede_awareness_or_be_future(open_breach, security_officer):
    with pytest.raises(DomainError):
        services.breach_notify_authority(
            breach=open_breach, actor=security_officer, notified_at=T0 - H
        )
    with pytest.raises(DomainError):
        services.breach_notify_authority(
            breach=open_breach, actor=security_officer, notified_at=T0 + H
        )


def test_the_beat_schedule_runs_the_sweep_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["breaches-sweep-clocks"]
    assert entry["task"] == "breaches.tasks.sweep_breach_clocks"
    assert entry["schedule"] == timedelta(seconds=60)


def test_the_task_sweeps_with_the_current_time(open_breach):
    from breaches.tasks import sweep_breach_clocks

    with time_machine.travel(T0 + 49 * H, tick=False):
        assert sweep_breach_clocks() == 1
    assert _thresholds(open_breach) == [48]


def test_clock_emails_say_the_hours_and_link_only(open_breach, security_officer):
    from django.core import mail

    from notifications.services import notification_deliver

    services.breach_clock_sweep(now=T0 + 48 * H)
    services.breach_clock_sweep(now=T0 + 72 * H)
    for notification in Notification.objects.filter(kind__startswith="breach_clock").order_by("id"):
        assert notification_deliver(notification_id=notification.pk)

    warning, overdue = mail.outbox
    assert "48 hours have passed" in warning.body and "24 hours remain" in warning.body
    assert "72 hours" in overdue.body and "deadline has passed" in overdue.subject
    for message in (warning, overdue):
        assert f"/breaches/{open_breach.pk}/" in message.body
        assert "Leak" not in message.body and open_breach.title not in message.body
