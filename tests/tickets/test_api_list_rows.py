"""The list serializer builds its rows directly (TicketListSerializer.to_representation) for
speed; every row must equal what DRF's field-by-field rendering gives for the same ticket."""

from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from tests.factories import CategoryFactory
from tests.reports.conftest import NOW, build_day
from tickets import services
from tickets.api.serializers import (
    TicketDetailSerializer,
    TicketListSerializer,
    _as_time,
    ticket_serializer_class,
)
from tickets.selectors import TicketFilters, ticket_list

pytestmark = pytest.mark.django_db


def _generic(ticket):
    return serializers.ModelSerializer.to_representation(TicketListSerializer(), ticket)


@pytest.mark.parametrize(
    ("zone", "language"),
    [("UTC", "en"), ("Europe/Madrid", "es"), ("America/Mexico_City", "es")],
)
def test_each_row_equals_the_generic_rendering(
    requester, agent_l1, agent_l2, category, zone, language
):
    # A day of tickets in every state: new, triaged, assigned, on hold, escalated to L2,
    # resolved (met and breached clocks), one in a subcategory, one unassigned.
    category.parent = CategoryFactory(name="Messaging", name_es="Mensajería")
    category.save(update_fields=["parent"])
    build_day(requester=requester, agent_l1=agent_l1, agent_l2=agent_l2, category=category)
    # Frozen: a clock's remaining_seconds is computed at rendering time.
    with (
        timezone.override(ZoneInfo(zone)),
        translation.override(language),
        time_machine.travel(NOW, tick=False),
    ):
        rows = list(ticket_list(user=agent_l2, filters=TicketFilters())) + list(
            ticket_list(user=agent_l1, filters=TicketFilters())
        )
        assert len({t.pk for t in rows}) >= 7
        assert any(t.assignee_id is None for t in rows)
        assert any(t.assignee_id is not None for t in rows)
        assert any(t.resolved_at is not None for t in rows)
        for ticket in rows:
            fast = TicketListSerializer(ticket).data
            assert list(fast.items()) == list(_generic(ticket).items()), ticket.title
            assert fast["sla"], ticket.title  # clocks rendered too
        labels = {TicketListSerializer(t).data["status_display"] for t in rows}
    with translation.override("en"):
        english = {str(t.get_status_display()) for t in rows}
    assert (labels == english) == (language == "en")  # in the request's language


def test_the_list_endpoint_serves_the_same_rows(api, agent_l1, requester, agent_l2, category):
    build_day(requester=requester, agent_l1=agent_l1, agent_l2=agent_l2, category=category)
    with time_machine.travel(NOW, tick=False):  # remaining_seconds is computed when rendered
        response = api(agent_l1).get(reverse("ticket-list"), {"page_size": 50})
        assert response.status_code == 200
        listed = response.json()["results"]
        tickets = {t.pk: t for t in ticket_list(user=agent_l1, filters=TicketFilters())}
        assert listed and len(listed) == len(tickets)
        for row in listed:
            assert row == dict(_generic(tickets[row["id"]]))


@pytest.mark.parametrize("staff", [True, False])
def test_the_detail_equals_the_generic_rendering(requester, agent_l1, agent_l2, category, staff):
    build_day(requester=requester, agent_l1=agent_l1, agent_l2=agent_l2, category=category)
    viewer = agent_l1 if staff else requester
    serializer_class = ticket_serializer_class(user=viewer, detail=True)
    request = APIRequestFactory().get("/")
    request.user = viewer
    with (
        timezone.override(ZoneInfo("Europe/Madrid")),
        translation.override("es"),
        time_machine.travel(NOW, tick=False),
    ):
        tickets = list(ticket_list(user=viewer, filters=TicketFilters()))
        assert len(tickets) >= 5
        assert any(t.last_escalated_at for t in tickets) or not staff
        for ticket in tickets:
            serializer = serializer_class(ticket, context={"request": request})
            generic = serializers.ModelSerializer.to_representation(serializer, ticket)
            assert list(serializer.data.items()) == list(generic.items()), ticket.title


@time_machine.travel(NOW, tick=False)
def test_the_detail_keeps_the_generic_rendering_with_its_extra_fields(agent_l1, requester):
    ticket = services.ticket_create(requester=requester, title="Printer", description="Jammed")
    request = APIRequestFactory().get("/")
    request.user = agent_l1
    data = TicketDetailSerializer(ticket, context={"request": request}).data
    assert data["description"] == "Jammed"
    assert "triage" in data["allowed_transitions"]
    fields = TicketListSerializer.Meta.fields
    assert list(data)[: len(fields)] == fields
    assert {k: data[k] for k in fields} == dict(_generic(ticket))


@pytest.mark.parametrize("zone", ["UTC", "Europe/Madrid", "Asia/Kolkata", "America/St_Johns"])
def test_times_render_as_drfs_datetime_field(zone):
    field = serializers.DateTimeField()
    moments = [NOW, NOW.replace(microsecond=123456), NOW.replace(month=7, day=1, hour=23)]
    with timezone.override(ZoneInfo(zone)):
        for moment in moments:
            assert _as_time(moment, timezone.get_current_timezone()) == field.to_representation(
                moment
            )
    assert _as_time(None, ZoneInfo(zone)) is None
