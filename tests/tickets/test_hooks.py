"""The ticket hooks (tickets.hooks): every reaction in the order is registered, an unknown one is
refused, and a reaction that raises rolls the whole write back."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from tickets import hooks, services
from tickets.models import Status, TicketEvent

pytestmark = pytest.mark.django_db


def test_every_reaction_in_the_order_is_registered_by_its_app():
    missing = [
        (event.__name__, name)
        for event, names in hooks.ORDER.items()
        for name in names
        if name not in hooks._reactions[event]
    ]
    assert missing == []


def test_a_reaction_missing_from_the_order_is_refused():
    with pytest.raises(ImproperlyConfigured):
        hooks.react(hooks.TicketClosed, "reports.count", lambda closed: None)
    assert "reports.count" not in hooks._reactions[hooks.TicketClosed]


def test_reactions_run_in_the_documented_order(monkeypatch):
    ran: list[str] = []
    registered = {name: (lambda n: lambda event: ran.append(n))(name) for name in ("a", "b", "c")}
    monkeypatch.setitem(hooks.ORDER, hooks.TicketClosed, ("c", "a", "b"))
    monkeypatch.setitem(hooks._reactions, hooks.TicketClosed, registered)
    hooks.publish(hooks.TicketClosed(ticket=None, at=None))  # type: ignore[arg-type]
    assert ran == ["c", "a", "b"]


def test_a_reaction_that_raises_rolls_the_write_back(make_ticket, requester, monkeypatch):
    ticket = make_ticket(Status.RESOLVED)
    events_before = TicketEvent.objects.filter(ticket=ticket).count()

    def broken(closed: hooks.TicketClosed) -> None:
        raise RuntimeError("the survey could not be written")

    monkeypatch.setitem(hooks._reactions, hooks.TicketClosed, {"csat.ask": broken})
    with pytest.raises(RuntimeError):
        services.ticket_close(ticket=ticket, actor=requester)
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert TicketEvent.objects.filter(ticket=ticket).count() == events_before
