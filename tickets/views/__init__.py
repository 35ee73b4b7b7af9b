"""The web UI: the requester's portal, the ticket page (also through the anonymous tracking
link) and the agent console, one module per concern.

Views parse input, call one service or selector, and render. Every ticket is read through the
gate (`ticket_get_for_user`, or the secret tracking token); a refused transition becomes a
message and the page shows the ticket's current state.
"""

from tickets.views.attachments import attachment_download, ticket_attach
from tickets.views.bulk_actions import console_bulk
from tickets.views.console_queue import console
from tickets.views.conversation import ticket_presence, ticket_reply
from tickets.views.guest_tickets import (
    guest_claim,
    guest_claim_request,
    tracking_language,
    tracking_link_renew,
)
from tickets.views.lifecycle import priority_preview, ticket_transition
from tickets.views.live_queue import console_counts, console_live
from tickets.views.page import ticket_detail, tracking
from tickets.views.portal import home, my_tickets, ticket_created, ticket_new

__all__ = [
    "attachment_download",
    "console",
    "console_bulk",
    "console_counts",
    "console_live",
    "guest_claim",
    "guest_claim_request",
    "home",
    "my_tickets",
    "priority_preview",
    "ticket_attach",
    "ticket_created",
    "ticket_detail",
    "ticket_new",
    "ticket_presence",
    "ticket_reply",
    "ticket_transition",
    "tracking",
    "tracking_language",
    "tracking_link_renew",
]
