"""Reads of the knowledge base: canned responses, rendered for one ticket and agent."""

from dataclasses import dataclass

from django.db.models import QuerySet

from accounts.models import User
from knowledge.models import CannedResponse
from tickets.models import Ticket

PLACEHOLDERS = ("requester_name", "ticket_reference", "agent_name")


class _KeepUnknown(dict[str, str]):
    """Leaves an unknown {placeholder} as it is instead of failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def canned_response_render(*, body: str, ticket: Ticket, agent: User) -> str:
    values = _KeepUnknown(
        requester_name=ticket.contact_name or ticket.requester.name,
        ticket_reference=ticket.reference,
        agent_name=agent.name,
    )
    try:
        return body.format_map(values)
    except (ValueError, IndexError, AttributeError, TypeError):
        # A stray brace, "{0}" or "{requester_name[x]}" in the body: insert it untouched rather
        # than fail (a TypeError here was a 500 on every agent's ticket page).
        return body


def canned_responses_active(*, language: str | None = None) -> QuerySet[CannedResponse]:
    queryset = CannedResponse.objects.filter(is_active=True)
    if language:
        queryset = queryset.filter(language=language)
    return queryset


@dataclass(frozen=True)
class RenderedCannedResponse:
    id: int
    title: str
    language: str
    text: str


def canned_responses_for_ticket(*, ticket: Ticket, agent: User) -> list[RenderedCannedResponse]:
    """Every active response (the agent's language first), rendered for this ticket: one query."""
    rendered = [
        RenderedCannedResponse(
            id=response.pk,
            title=response.title,
            language=response.language,
            text=canned_response_render(body=response.body, ticket=ticket, agent=agent),
        )
        for response in canned_responses_active()
    ]
    rendered.sort(key=lambda r: (r.language != agent.language, r.title.lower()))
    return rendered
