"""Issue 21 item 5: the bell. Every event reaches email and the bell, each per the user's
choice for that channel; @mentions in agents' notes; retention."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from escalation.models import Tier
from notifications.mentions import mentioned_names
from notifications.models import (
    InAppNotification,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from notifications.services import (
    Outgoing,
    in_app_mark_all_read,
    in_app_mark_read,
    in_app_purge,
    notification_enqueue,
    notification_preferences_update,
    notifications_enqueue_many,
    notifications_suppressed,
)
from notifications.tasks import purge_in_app_notifications
from tests.factories import AgentFactory, UserFactory
from tickets import services
from tickets.models import Status

pytestmark = pytest.mark.django_db


def _bell(user, kind=None):
    rows = InAppNotification.objects.filter(recipient=user)
    return rows.filter(kind=kind) if kind else rows


def _emails(user, kind):
    return Notification.objects.filter(recipient=user, kind=kind)


# --- fan-out to both channels ------------------------------------------------------------------


def test_an_assignment_reaches_the_assignee_by_email_and_in_the_bell(make_ticket, agent_l1):
    other = AgentFactory(username="bob", tier=Tier.L1)
    ticket = make_ticket(Status.PRIORITIZED)

    services.ticket_take(ticket=ticket, actor=other)  # no notice: one takes it oneself
    services.ticket_reassign(ticket=ticket, actor=other, assignee=agent_l1, reason="Holiday")

    assert _emails(agent_l1, NotificationKind.ASSIGNED).count() == 1
    row = _bell(agent_l1, NotificationKind.ASSIGNED).get()
    assert row.ticket_id == ticket.pk and row.read_at is None
    assert not _bell(other).exists()


def test_email_muted_still_rings_the_bell_and_bell_muted_still_emails(agent_l1, agent_l2):
    notification_preferences_update(user=agent_l1, muted=[NotificationKind.ASSIGNED])
    notification_preferences_update(
        user=agent_l2, muted=[], muted_in_app=[NotificationKind.ASSIGNED]
    )

    assert notification_enqueue(recipient=agent_l1, kind="assigned", ticket=None, cause="a") is None
    assert notification_enqueue(recipient=agent_l2, kind="assigned", ticket=None, cause="a")

    assert not _emails(agent_l1, "assigned").exists() and _bell(agent_l1, "assigned").count() == 1
    assert _emails(agent_l2, "assigned").count() == 1 and not _bell(agent_l2).exists()


def test_an_unmutable_email_kind_can_still_be_muted_in_the_bell(make_ticket, requester, agent_l1):
    notification_preferences_update(
        user=requester, muted=[], muted_in_app=[NotificationKind.STATUS_CHANGED]
    )
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    services.ticket_hold(ticket=ticket, actor=agent_l1, reason="Logs please")

    assert _emails(requester, NotificationKind.STATUS_CHANGED).exists()
    assert not _bell(requester, NotificationKind.STATUS_CHANGED).exists()


def test_a_requester_hears_of_replies_and_status_changes_but_not_of_their_own_request(
    make_ticket, requester, agent_l1
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    services.comment_create(ticket=ticket, actor=agent_l1, body="Try again now")
    services.ticket_hold(ticket=ticket, actor=agent_l1, reason="Waiting for you")

    kinds = set(_bell(requester).values_list("kind", flat=True))
    assert kinds == {NotificationKind.PUBLIC_REPLY, NotificationKind.STATUS_CHANGED}
    assert _emails(requester, NotificationKind.TICKET_CREATED).exists()  # email only


def test_the_requester_replying_rings_the_assignee(make_ticket, requester, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    services.comment_create(ticket=ticket, actor=requester, body="Still broken")

    assert _bell(agent_l1, NotificationKind.REQUESTER_REPLIED).count() == 1


def test_escalation_rings_every_agent_of_the_tier_per_their_choice(make_ticket, agent_l1, agent_l2):
    muted = AgentFactory(username="quiet", tier=Tier.L2)
    notification_preferences_update(
        user=muted, muted=[], muted_in_app=[NotificationKind.ESCALATED_TO_TIER]
    )
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    services.ticket_escalate(ticket=ticket, actor=agent_l1, reason="Network")

    assert _bell(agent_l2, NotificationKind.ESCALATED_TO_TIER).count() == 1
    assert not _bell(muted).exists()
    assert _emails(muted, NotificationKind.ESCALATED_TO_TIER).count() == 1


def test_a_user_without_an_address_still_gets_the_bell(agent_l1):
    agent_l1.email = ""
    agent_l1.save(update_fields=["email"])

    assert notification_enqueue(recipient=agent_l1, kind="assigned", ticket=None, cause="x") is None

    assert not Notification.objects.exists()
    assert _bell(agent_l1).count() == 1


def test_nothing_for_an_inactive_user_inside_suppression_or_for_email_only_kinds(agent_l1):
    with notifications_suppressed():
        notification_enqueue(recipient=agent_l1, kind="assigned", ticket=None, cause="s")
    notification_enqueue(recipient=agent_l1, kind="password_reset", ticket=None, cause="p")
    agent_l1.is_active = False
    agent_l1.save(update_fields=["is_active"])
    notification_enqueue(recipient=agent_l1, kind="assigned", ticket=None, cause="i")
    notifications_enqueue_many(rows=[Outgoing(agent_l1, "sla_warning", None, "i")])

    assert not InAppNotification.objects.exists()


def test_the_same_cause_rings_once(agent_l1):
    for _ in range(2):
        notification_enqueue(recipient=agent_l1, kind="assigned", ticket=None, cause="same")
        notifications_enqueue_many(rows=[Outgoing(agent_l1, "assigned", None, "same")])

    assert _bell(agent_l1).count() == 1
    assert Notification.objects.count() == 1


def test_the_batch_path_honours_each_channel(agent_l1, agent_l2):
    notification_preferences_update(user=agent_l1, muted=[NotificationKind.SLA_WARNING])
    notification_preferences_update(
        user=agent_l2, muted=[], muted_in_app=[NotificationKind.SLA_WARNING]
    )
    plain = AgentFactory(username="plain")

    notifications_enqueue_many(
        rows=[
            Outgoing(user, NotificationKind.SLA_WARNING, None, "e")
            for user in (agent_l1, agent_l2, plain)
        ]
    )

    bell = set(
        InAppNotification.objects.filter(kind="sla_warning").values_list("recipient", flat=True)
    )
    email = set(Notification.objects.filter(kind="sla_warning").values_list("recipient", flat=True))
    assert bell == {agent_l1.pk, plain.pk}
    assert email == {agent_l2.pk, plain.pk}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="one WITH … INSERT is PostgreSQL's")
def test_the_batch_path_writes_both_channels_in_the_same_statements_whatever_its_size():
    def statements(count: int) -> int:
        users = [AgentFactory() for _ in range(count)]
        NotificationPreference.objects.create(user=users[0], muted_in_app_kinds=["sla_warning"])
        with CaptureQueriesContext(connection) as ctx:
            notifications_enqueue_many(
                rows=[Outgoing(user, "sla_warning", None, f"n{count}") for user in users]
            )
        assert InAppNotification.objects.filter(dedupe_key__contains=f":n{count}:").count() == (
            count - 1
        )
        return len(ctx.captured_queries)

    # the recipients' muted kinds; one INSERT writing the outbox and (WITH) the bell
    assert statements(3) == statements(40) == 2


# --- mentions ----------------------------------------------------------------------------------


def test_mention_names_are_parsed_once_and_addresses_are_not_mentions():
    assert mentioned_names("@Ana and @bob.smith, cc @ana. Mail ana@example.com") == [
        "ana",
        "bob.smith",
    ]


def test_an_internal_note_mentioning_an_agent_rings_them_and_emails_them(
    make_ticket, requester, agent_l1, manager
):
    ana = AgentFactory(username="ana", tier=Tier.L1)
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    comment = services.comment_create(
        ticket=ticket,
        actor=agent_l1,
        body="@ana @manager can you check? Not @requester, not @agent_l1, not @nobody",
        is_internal=True,
    )

    mentioned = InAppNotification.objects.filter(kind=NotificationKind.MENTIONED)
    assert set(mentioned.values_list("recipient", flat=True)) == {ana.pk, manager.pk}
    email = _emails(ana, NotificationKind.MENTIONED).get()
    assert email.context["comment_id"] == str(comment.pk)
    # The requester hears nothing of an internal note, mentioned or not.
    assert not _bell(requester).filter(kind__in=["mentioned", "public_reply"]).exists()
    assert not Notification.objects.filter(recipient=requester, kind="mentioned").exists()


def test_a_mention_never_reaches_an_agent_who_cannot_read_the_ticket(
    make_ticket, agent_l1, agent_l2
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)  # at L1: an L2 agent does not read it

    services.comment_create(ticket=ticket, actor=agent_l1, body="@agent_l2 ?", is_internal=True)

    assert not _bell(agent_l2).exists()
    assert not _emails(agent_l2, "mentioned").exists()


def test_a_requester_cannot_mention_anyone(make_ticket, requester, agent_l1):
    ana = AgentFactory(username="ana", tier=Tier.L1)
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    services.comment_create(ticket=ticket, actor=requester, body="@ana help")

    assert not _bell(ana).exists()


def test_the_mention_email_shows_the_note_to_the_agent(make_ticket, agent_l1, mailoutbox):
    from notifications.services import notification_deliver

    ana = AgentFactory(username="ana", tier=Tier.L1)
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    services.comment_create(
        ticket=ticket, actor=agent_l1, body="@ana the secret detail", is_internal=True
    )
    row = _emails(ana, "mentioned").get()

    assert notification_deliver(notification_id=row.pk)

    message = mailoutbox[-1]
    assert ticket.reference in message.subject and "mentioned" in message.subject
    assert "the secret detail" in message.body and "Agent_L1 mentioned you" in message.body


# --- reading and retention ---------------------------------------------------------------------


def test_marking_read_is_one_s_own_and_all_read_counts(agent_l1, agent_l2):
    from django.http import Http404

    for cause in ("a", "b"):
        notification_enqueue(recipient=agent_l1, kind="assigned", ticket=None, cause=cause)
    notification_enqueue(recipient=agent_l2, kind="assigned", ticket=None, cause="c")
    first, _second = _bell(agent_l1).order_by("pk")
    theirs = _bell(agent_l2).get()

    assert in_app_mark_read(user=agent_l1, notification_id=first.pk).read_at is not None
    with pytest.raises(Http404):
        in_app_mark_read(user=agent_l1, notification_id=theirs.pk)
    assert in_app_mark_all_read(user=agent_l1) == 1
    assert in_app_mark_all_read(user=agent_l1) == 0
    assert _bell(agent_l2).get().read_at is None


def test_read_notifications_go_after_90_days_unread_ones_after_a_year(agent_l1, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for cause in ("read-old", "unread-old", "read-recent"):
            notification_enqueue(recipient=agent_l1, kind="assigned", ticket=None, cause=cause)
        InAppNotification.objects.filter(dedupe_key__contains="read-old").exclude(
            dedupe_key__contains="unread"
        ).update(read_at=start)
    with time_machine.travel(start + timedelta(days=60), tick=False):
        InAppNotification.objects.filter(dedupe_key__contains="read-recent").update(
            read_at=timezone.now()
        )
    with time_machine.travel(start + timedelta(days=91), tick=False):
        assert in_app_purge() == 1
        assert not _bell(agent_l1).filter(dedupe_key__contains=":read-old:").exists()
    with time_machine.travel(start + timedelta(days=149), tick=False):
        assert in_app_purge() == 0  # read 89 days ago; unread but under a year
    with time_machine.travel(start + timedelta(days=366), tick=False):
        assert purge_in_app_notifications() == 2  # the unread one is a year old now
        assert not _bell(agent_l1).exists()
    assert settings.CELERY_BEAT_SCHEDULE["notifications-purge-in-app"]["task"] == (
        "notifications.tasks.purge_in_app_notifications"
    )


def test_preferences_service_refuses_unknown_bell_kinds(requester):
    from helpdesk.errors import DomainError

    with pytest.raises(DomainError):
        notification_preferences_update(user=requester, muted=[], muted_in_app=["assigned"])
    with pytest.raises(DomainError):
        notification_preferences_update(user=requester, muted=[], muted_in_app=["password_reset"])
    # Leaving the bell's choice out keeps it.
    notification_preferences_update(user=requester, muted=[], muted_in_app=["public_reply"])
    notification_preferences_update(user=requester, muted=["public_reply"])
    preference = NotificationPreference.objects.get(user=requester)
    assert preference.muted_in_app_kinds == ["public_reply"]
    assert preference.muted_kinds == ["public_reply"]


def test_requester_factory_kinds_are_requester_kinds():
    # A requester's bell kinds are a subset of what they can receive by email.
    user = UserFactory()
    from notifications.selectors import in_app_kinds_for_user

    assert NotificationKind.ASSIGNED not in in_app_kinds_for_user(user=user)
    assert NotificationKind.PUBLIC_REPLY in in_app_kinds_for_user(user=user)


def test_the_managers_template_page_previews_the_mention_email(client, manager):
    client.force_login(manager)

    body = client.get("/notifications/templates/").content.decode()

    assert "Luis Pérez mentioned you" in body
    assert "Luis Pérez le ha mencionado" in body
