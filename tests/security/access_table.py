"""Who may reach what: one row per endpoint or page (the integrator appends rows for new apps).

Each row names a URL (a format string filled from the `world` ids), the HTTP method, a body for
writes, and the personas who may use it. Everyone else — the anonymous visitor included — must
get a refusal that does not reveal the object (401/403/404 or the login redirect) and must leave
the database as it was. Allowed personas must not be refused; for writes with a body they may
still get a 400/409 (the body is only there so that a missing check would do damage).
"""

from dataclasses import dataclass, field

PERSONAS = (
    "anonymous",
    "requester",
    "other_requester",
    "outsider",
    "agent_l1",
    "agent_l2",
    "agent_l3",
    "manager",
    "security_officer",
)
SIGNED_IN = frozenset(PERSONAS) - {"anonymous"}
STAFF = frozenset({"agent_l1", "agent_l2", "agent_l3"})
# Who reads the world's ticket (in diagnosis at L2, held by agent_l2, linked to a breach).
TICKET_READERS = frozenset({"requester", "agent_l1", "agent_l2", "manager", "security_officer"})
TICKET_WORKERS = frozenset({"agent_l2"})  # agents of its tier (L1 reads but does not work L2)
BREACH_READERS = frozenset({"manager", "security_officer"})
OFFICER = frozenset({"security_officer"})
MANAGER = frozenset({"manager"})
NOBODY: frozenset[str] = frozenset()
EVERYONE = frozenset(PERSONAS)
# A saved view: its owner reads it; anyone outside support staff is refused for being so (403,
# which reveals nothing); another agent gets a 404.
SAVED_VIEW_READERS = (EVERYONE - STAFF - MANAGER) | {"agent_l1"}


@dataclass(frozen=True)
class Row:
    url: str
    allowed: frozenset[str]
    method: str = "get"
    data: dict = field(default_factory=dict)
    json: bool = False  # send `data` as JSON (API) rather than a form
    # Text the non-staff readers must never see on this page (internal notes and the like).
    hidden_from_requester: tuple[str, ...] = ()
    # Who may read the object acted on, when the URL alone does not say (see `readers`).
    object_readers: frozenset[str] | None = None

    @property
    def readers(self) -> frozenset[str]:
        """Who may read the object the row acts on: they may get a 400/409 instead of a 403."""
        if self.object_readers is not None:
            return self.object_readers
        names = self.url + " ".join(str(value) for value in self.data.values())
        if any(name in names for name in ("{ticket}", "{token}", "{call}", "_file}")):
            return TICKET_READERS
        if "{breach}" in self.url:
            return BREACH_READERS
        if "{incident}" in self.url:
            return STAFF | MANAGER
        return frozenset()

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.url}"


SECRETS = ("SECRET-INTERNAL-NOTE", "internal-secret.txt", "SECRET-ESCALATION-REASON")

REPLY = {"reply-body": "IDOR reply", "body": "IDOR reply"}
INCIDENT_UPDATE = {"status": "identified", "message": "IDOR update"}
FLAG = {"ticket": "{ticket}", "description": "IDOR"}
REASON = {"reason": "IDOR", "hold-reason": "IDOR"}

ROWS: list[Row] = [
    # --- pages of a ticket ---------------------------------------------------------------------
    Row("/tickets/{ticket}/", TICKET_READERS, hidden_from_requester=SECRETS),
    Row("/tickets/{ticket}/reply/", TICKET_READERS - BREACH_READERS - {"agent_l1"}, "post", REPLY),
    Row("/tickets/{ticket}/attach/", NOBODY | {"requester", "agent_l2"}, "post", {}),
    Row("/tickets/{ticket}/do/hold/", TICKET_WORKERS, "post", {"hold-reason": "IDOR"}),
    Row("/tickets/{ticket}/do/cancel/", {"requester", "agent_l2"}, "post", {"cancel-reason": "x"}),
    Row("/tickets/{ticket}/files/{public_file}/", TICKET_READERS),
    # Security officers read linked tickets as the requester would: no internal material.
    Row("/tickets/{ticket}/files/{internal_file}/", {"agent_l1", "agent_l2", "manager"}),
    Row("/escalation/tickets/{ticket}/deescalate/", TICKET_WORKERS, "post", {"reason": "IDOR"}),
    Row("/escalation/tickets/{ticket}/reassign/", TICKET_WORKERS, "post", {"reason": "IDOR"}),
    Row("/escalation/tickets/{ticket}/raise/", TICKET_WORKERS, "post", {"reason": "IDOR"}),
    Row("/escalation/tickets/{ticket}/calls/", TICKET_WORKERS, "post", {"medium": "phone"}),
    Row(
        "/escalation/tickets/{ticket}/calls/{call}/cancel/",
        TICKET_WORKERS,
        "post",
        {"reason": "IDOR"},
    ),
    Row("/escalation/tickets/{ticket}/calls/{call}/reschedule/", TICKET_WORKERS, "post", {}),
    Row("/breaches/flag/{ticket}/", {"agent_l1", "agent_l2"}, "post", {"description": "IDOR"}),
    Row("/incidents/declare/{ticket}/", {"agent_l1", "agent_l2"}, "post", {}),
    # --- the secret tracking link --------------------------------------------------------------
    Row("/t/{token}/", EVERYONE, hidden_from_requester=SECRETS),
    Row("/t/{token}/files/{public_file}/", EVERYONE),
    Row("/t/{token}/files/{internal_file}/", NOBODY),
    Row("/t/not-the-token/", NOBODY),
    Row("/t/not-the-token/reply/", NOBODY, "post", REPLY),
    Row("/t/not-the-token/files/{public_file}/", NOBODY),
    # --- requester and agent lists -------------------------------------------------------------
    Row("/my/", SIGNED_IN),
    Row("/console/", STAFF | MANAGER),
    Row("/console/counts/", STAFF | MANAGER),
    Row("/console/live/", STAFF | MANAGER),
    Row(
        "/console/bulk/",
        STAFF,
        "post",
        {"action": "hold", "ids": "{ticket}", "reason": "IDOR"},
        object_readers=NOBODY,
    ),
    Row("/accounts/profile/", SIGNED_IN),
    Row("/notifications/preferences/", SIGNED_IN),
    Row("/notifications/templates/", MANAGER),
    # --- escalation configuration --------------------------------------------------------------
    Row("/escalation/groups/", STAFF | MANAGER),
    Row("/escalation/groups/new/", MANAGER),
    Row("/escalation/rota/", STAFF | MANAGER),
    Row("/escalation/rota/new/", MANAGER),
    Row("/escalation/rules/", STAFF | MANAGER),
    Row("/escalation/rules/new/", MANAGER),
    # --- major incidents (agents) and the public status page -----------------------------------
    Row("/incidents/", STAFF | MANAGER),
    Row("/incidents/{incident}/", STAFF | MANAGER),
    Row("/incidents/{incident}/update/", STAFF, "post", INCIDENT_UPDATE),
    # agent_l3 may not read the L2 ticket, so cannot link it: the form says "No such ticket",
    # exactly as for a reference that does not exist.
    Row(
        "/incidents/{incident}/link/",
        STAFF - {"agent_l3"},
        "post",
        {"ticket": "{ticket}"},
        object_readers=STAFF | MANAGER,
    ),
    Row("/status/", EVERYONE),
    Row("/status/feed/rss/", EVERYONE),
    # --- the breach register -------------------------------------------------------------------
    Row("/breaches/", BREACH_READERS),
    Row("/breaches/new/", OFFICER),
    Row("/breaches/register.csv", BREACH_READERS),
    Row("/breaches/{breach}/", BREACH_READERS),
    Row("/breaches/{breach}/edit/", OFFICER),
    Row("/breaches/{breach}/export/", BREACH_READERS),
    Row("/breaches/{breach}/evidence/{evidence}/", BREACH_READERS),
    Row("/breaches/{breach}/actions/note/", OFFICER, "post", {"body": "IDOR"}),
    # --- the API: tickets ----------------------------------------------------------------------
    Row("/api/tickets/{ticket}/", TICKET_READERS, hidden_from_requester=SECRETS),
    Row("/api/tickets/{ticket}/comments/", TICKET_READERS, hidden_from_requester=SECRETS),
    Row("/api/tickets/{ticket}/history/", TICKET_READERS, hidden_from_requester=SECRETS),
    Row(
        "/api/tickets/{ticket}/comments/",
        TICKET_READERS - BREACH_READERS - {"agent_l1"},
        "post",
        {"body": "IDOR"},
        json=True,
    ),
    Row("/api/tickets/{ticket}/hold/", TICKET_WORKERS, "post", {"reason": "IDOR"}, json=True),
    Row("/api/tickets/{ticket}/escalate/", TICKET_WORKERS, "post", {"reason": "x"}, json=True),
    Row("/api/tickets/{ticket}/raise/", TICKET_WORKERS, "post", {"reason": "IDOR"}, json=True),
    Row("/api/tickets/{ticket}/calls/", TICKET_READERS),
    Row("/api/tickets/{ticket}/tiers/", {"agent_l1", "agent_l2", "manager"}),
    Row("/api/calls/{call}/", TICKET_READERS),
    Row("/api/calls/{call}/cancel/", TICKET_WORKERS, "post", {"reason": "IDOR"}, json=True),
    Row("/api/tickets/", SIGNED_IN),
    Row("/api/categories/", SIGNED_IN),
    Row("/api/me/", SIGNED_IN),
    # --- the API: configuration ----------------------------------------------------------------
    Row("/api/escalation/groups/", STAFF | MANAGER),
    Row("/api/escalation/groups/", MANAGER, "post", {"name": "IDOR", "tier": 1}, json=True),
    Row("/api/escalation/shifts/", STAFF | MANAGER),
    Row("/api/escalation/rules/", STAFF | MANAGER),
    Row("/api/sla/policies/", STAFF | MANAGER),
    Row("/api/sla/calendars/", STAFF | MANAGER),
    Row("/api/ola/targets/", STAFF | MANAGER),
    Row(
        "/api/ola/targets/",
        MANAGER,
        "post",
        {"tier": 1, "priority": 5, "take_within": "00:15:00"},
        json=True,
    ),
    # --- the API: major incidents --------------------------------------------------------------
    Row("/api/major-incidents/", STAFF | MANAGER),
    Row("/api/major-incidents/{incident}/", STAFF | MANAGER),
    Row("/api/major-incidents/{incident}/updates/", STAFF, "post", INCIDENT_UPDATE, json=True),
    Row(
        "/api/major-incidents/{incident}/links/",
        STAFF - {"agent_l3"},
        "post",
        {"ticket": "{ticket}"},
        json=True,
    ),
    # --- the API: breaches ---------------------------------------------------------------------
    Row("/api/breaches/", BREACH_READERS),
    Row("/api/breaches/{breach}/", BREACH_READERS),
    Row("/api/breaches/{breach}/history/", BREACH_READERS),
    Row("/api/breaches/{breach}/evidence/", BREACH_READERS),
    Row("/api/breaches/{breach}/notes/", OFFICER, "post", {"body": "IDOR"}, json=True),
    Row("/api/breaches/flag/", {"agent_l1", "agent_l2"}, "post", FLAG, json=True),
    Row("/api/breaches/{breach}/link-ticket/", OFFICER, "post", {"ticket": "{ticket}"}, json=True),
    Row("/api/breaches/{breach}/not-notifying/", OFFICER, "post", {"reason": "IDOR"}, json=True),
    Row("/api/breaches/{breach}/notify-authority/", OFFICER, "post", {"reference": "x"}, json=True),
    Row("/api/breaches/{breach}/subjects-decision/", OFFICER, "post", {"decision": "x"}, json=True),
    Row("/api/breaches/{breach}/subjects-communication/", OFFICER, "post", {}, json=True),
    # --- the rest of the ticket API: every transition as every persona --------------------------
    *[
        Row(f"/api/tickets/{{ticket}}/{name}/", TICKET_WORKERS, "post", REASON, json=True)
        for name in ("resume", "deescalate", "reassign", "start-diagnosis", "take", "identify")
    ],
    *[
        Row(f"/api/tickets/{{ticket}}/{name}/", TICKET_WORKERS, "post", {}, json=True)
        for name in ("categorize", "prioritize", "triage", "resolve")
    ],
    Row("/api/tickets/{ticket}/cancel/", {"requester", "agent_l2"}, "post", {}, json=True),
    # Issue 21: merge (into itself here: the allowed get a 400, nobody else gets that far) and the
    # bulk actions, for agents only; a row each agent may not work on is refused inside the
    # answer (per-row 403/404, tests/tickets/test_bulk.py), so it names no object itself.
    Row("/api/tickets/{ticket}/merge/", TICKET_WORKERS, "post", {"into": "{ticket}"}, json=True),
    Row(
        "/api/tickets/bulk/",
        STAFF,
        "post",
        {"action": "hold", "ids": "{ticket}"},
        json=True,
        object_readers=NOBODY,
    ),
    Row("/api/tickets/{ticket}/close/", {"requester"}, "post", REASON, json=True),
    Row("/api/tickets/{ticket}/reopen/", {"requester"}, "post", REASON, json=True),
    Row("/api/categories/{category}/", SIGNED_IN),
    Row("/api/calls/{call}/reschedule/", TICKET_WORKERS, "post", {}, json=True),
    Row("/api/escalation/groups/{group}/", STAFF | MANAGER),
    Row("/api/escalation/shifts/now/", STAFF | MANAGER),
    Row("/api/escalation/shifts/{shift}/", STAFF | MANAGER),
    Row("/api/escalation/rules/{rule}/", STAFF | MANAGER),
    Row("/api/sla/policies/{policy}/", STAFF | MANAGER),
    Row("/api/sla/calendars/{calendar}/", STAFF | MANAGER),
    Row("/api/ola/targets/{ola_target}/", STAFF | MANAGER),
    Row("/api/ola/targets/{ola_target}/", MANAGER, "delete"),
    # Monitoring intake authenticates with its own integration token, never a user's.
    Row("/api/integrations/alertmanager/", NOBODY, "post", {}, json=True),
    Row("/api/integrations/events/v2/", NOBODY, "post", {"routing_key": "guess"}, json=True),
    Row("/api/auth/token/", EVERYONE, "post", {"username": "x", "password": "y"}, json=True),
    # --- the rest of the pages -----------------------------------------------------------------
    Row("/", SIGNED_IN),
    Row("/new/", EVERYONE),
    Row("/console/priority/", STAFF | MANAGER),
    Row("/escalation/groups/{group}/", MANAGER),
    Row("/escalation/rota/{shift}/", MANAGER),
    Row("/escalation/rota/{shift}/delete/", MANAGER, "post"),
    Row("/escalation/rules/{rule}/", MANAGER),
    Row("/escalation/rules/{rule}/delete/", MANAGER, "post"),
    Row("/status/feed/atom/", EVERYONE),
    Row("/t/{token}/reply/", EVERYONE, "post", {}),
    Row("/t/{token}/attach/", EVERYONE, "post", {}),
    Row("/t/{token}/do/close/", EVERYONE, "post", {}),
    # --- the admin -----------------------------------------------------------------------------
    Row("/admin/", NOBODY),
    Row("/admin/tickets/ticketevent/", NOBODY),
]

# --- knowledge base, similar incidents, satisfaction (kb, csat) --------------------------------
KB_STAFF = STAFF | MANAGER  # support staff: agents and managers
ROWS += [
    Row("/kb/", EVERYONE),
    Row("/kb/suggest/", EVERYONE),
    Row("/kb/{public_article}/", EVERYONE),
    Row("/kb/{internal_article}/", KB_STAFF, hidden_from_requester=SECRETS),
    Row("/kb/new/", KB_STAFF),
    Row("/kb/{public_article}/edit/", KB_STAFF),
    Row("/kb/tickets/{ticket}/similar/", TICKET_READERS),
    Row(
        "/kb/tickets/{ticket}/link/",
        TICKET_READERS,
        "post",
        {"related": "INC-999999"},  # a reference nobody can read: nothing is ever linked
    ),
    Row("/api/kb/articles/", EVERYONE),
    Row("/api/kb/articles/{internal_article}/", KB_STAFF),
    Row("/api/kb/suggest/", EVERYONE),
    Row("/api/kb/similar/{ticket}/", {"agent_l1", "agent_l2", "manager"}),
    # Both tickets must be readable: only L1 (who reads every ticket) reaches the other one.
    Row(
        "/api/kb/links/",
        {"agent_l1"},
        "post",
        {"ticket": "{ticket}", "related": "{other_ticket}"},
        json=True,
    ),
    Row("/csat/", MANAGER),
    Row("/csat/not-a-valid-token/", NOBODY),
    # The world's ticket is not closed, so it has no survey yet: nobody may rate it.
    Row("/csat/tickets/{ticket}/", NOBODY, "post", {"rating": "5"}),
    # The guest's rating from the tracking page: the link is the credential; the world's ticket
    # is not closed, so its holders get a 409 (nothing to rate yet).
    Row("/csat/track/{token}/", EVERYONE, "post", {"rating": "5"}),
]

# --- credentials: password change and reset, sign-up (issue 17.1) --------------------------------
ROWS += [
    Row("/accounts/password/change/", SIGNED_IN),
    # Allowed: a wrong current password is a form error (200), never a change.
    Row(
        "/accounts/password/change/",
        SIGNED_IN,
        "post",
        {"old_password": "x", "new_password1": "IDOR-pass-123", "new_password2": "IDOR-pass-123"},
    ),
    Row("/accounts/password/change/done/", SIGNED_IN),
    Row("/accounts/password/reset/", EVERYONE),
    Row("/accounts/password/reset/", EVERYONE, "post", {"email": "requester@example.com"}),
    Row("/accounts/password/reset/done/", EVERYONE),
    Row("/accounts/reset/MQ/not-a-token/", EVERYONE),  # "this link does not work any more"
    Row("/accounts/reset/done/", EVERYONE),
    Row("/accounts/signup/done/", EVERYONE),
]

# --- credentials: API tokens (issue 17.2) --------------------------------------------------------
# `{api_token}` is one of the requester's tokens: only its owner may revoke it (others: 404).
TOKEN_OWNER = frozenset({"requester"})
ROWS += [
    Row("/accounts/profile/tokens/", SIGNED_IN, "post", {"name": "IDOR"}),
    Row(
        "/accounts/profile/tokens/{api_token}/revoke/",
        TOKEN_OWNER,
        "post",
        object_readers=TOKEN_OWNER,
    ),
    Row("/api/auth/tokens/", SIGNED_IN),
    Row("/api/auth/tokens/", SIGNED_IN, "post", {"name": "IDOR"}, json=True),
    Row("/api/auth/tokens/{api_token}/", TOKEN_OWNER, "delete", object_readers=TOKEN_OWNER),
    Row("/api/auth/token/", SIGNED_IN, "delete"),  # revokes the token of the request
    # Allowed: a wrong old password is a 400 (and a lockout failure), never a change.
    Row(
        "/api/auth/password/",
        SIGNED_IN,
        "post",
        {"old_password": "x", "new_password": "IDOR-pass-123"},
        json=True,
    ),
]

# --- manager dashboards (reports) ----------------------------------------------------------------
ROWS += [
    Row("/reports/sla/", MANAGER),
    Row("/reports/sla/export.csv", MANAGER),
    Row("/reports/queues/", STAFF | MANAGER),
    Row("/api/reports/dashboard/", MANAGER),
    Row("/api/reports/queues/", STAFF | MANAGER),
    # The breach forecast: managers and tier leads (no persona here leads a group).
    Row("/sla/forecast/", MANAGER),
    Row("/sla/forecast.csv", MANAGER),
    Row("/api/sla/forecast/", MANAGER),
]

# --- the "thank you" page after the web form (Post/Redirect/Get, issue 16 item 2) ----------------
ROWS += [
    Row("/tickets/{ticket}/created/", TICKET_READERS, hidden_from_requester=SECRETS),
    Row("/t/{token}/created/", EVERYONE, hidden_from_requester=SECRETS),
    Row("/t/not-the-token/created/", NOBODY),
]

# --- guest tickets and tracking links (issue 17: item 6 and "Smaller") ----------------------------
ROWS += [
    Row("/my/claim/", SIGNED_IN, "post"),
    Row("/my/claim/not-a-valid-token/", SIGNED_IN),  # a forged claim link: a 400 page
    # Only the requester renews their link (without "confirm" nothing happens: a message).
    Row("/tickets/{ticket}/tracking-link/", {"requester"}, "post"),
    Row("/t/{token}/tracking-link/", EVERYONE, "post"),
    Row("/t/not-the-token/tracking-link/", NOBODY, "post", {"confirm": "yes"}),
    # The tracking pages' language switcher (remembered for a guest's emails).
    Row("/t/{token}/language/", EVERYONE, "post", {"language": "es", "next": "/"}),
    Row("/t/not-the-token/language/", NOBODY, "post", {"language": "es", "next": "/"}),
]

# --- operations (issue 20): probes for anyone; /metrics only with its token or allow-list,
# which the access test does not set, so nobody (tests/ops/test_metrics.py tries them) ------------
ROWS += [
    Row("/healthz", EVERYONE),
    Row("/readyz", EVERYONE),
    Row("/metrics", NOBODY),
    # --- saved views (savedviews/): agent_l1's private view; non-staff are refused as such --
    Row("/console/views/counts/", STAFF | MANAGER),
    Row("/console/views/", STAFF | MANAGER, "post", {"name": "IDOR", "query": ""}),
    *(
        Row(url, frozenset({"agent_l1"}), "post", data, object_readers=SAVED_VIEW_READERS)
        for url, data in (
            ("/console/views/{saved_view}/", {"name": "IDOR", "visibility": "private"}),
            ("/console/views/{saved_view}/delete/", {}),
            ("/console/views/{saved_view}/default/", {"on": "1"}),
        )
    ),
    Row("/api/saved-views/", STAFF | MANAGER),
    Row(
        "/api/saved-views/{saved_view}/", frozenset({"agent_l1"}), object_readers=SAVED_VIEW_READERS
    ),
    Row(
        "/api/saved-views/{saved_view}/default/",
        frozenset({"agent_l1"}),
        "post",
        json=True,
        object_readers=SAVED_VIEW_READERS,
    ),
]

# --- in-app notifications (issue 21 item 5): one's own only; another's id is a 404 ---------------
ROWS += [
    Row("/notifications/", SIGNED_IN),
    Row("/notifications/unread/", SIGNED_IN),
    Row("/notifications/read-all/", SIGNED_IN, "post"),
    Row("/notifications/{bell}/read/", frozenset({"agent_l2"}), "post"),
    Row("/api/notifications/", SIGNED_IN),
    Row("/api/notifications/unread-count/", SIGNED_IN),
    Row("/api/notifications/read-all/", SIGNED_IN, "post", json=True),
    Row("/api/notifications/{bell}/read/", frozenset({"agent_l2"}), "post", json=True),
]

# --- presence on a ticket (issue 21 item 2): support staff who read the ticket, never a requester
# or a security officer (their reading of a linked ticket is not the team's work) ------------------
PRESENCE = frozenset({"agent_l1", "agent_l2", "manager"})
ROWS += [
    Row("/tickets/{ticket}/presence/", PRESENCE, "post", {"typing": "1"}),
    Row("/api/tickets/{ticket}/presence/", PRESENCE),
    Row("/api/tickets/{ticket}/presence/", PRESENCE, "post", {"typing": True}, json=True),
    Row("/api/tickets/{ticket}/presence/", PRESENCE, "delete"),
]

# --- chat channels (issue 22 item 1): managers configure them; the secret is never shown --------
ROWS += [
    Row("/chat/", MANAGER),
    Row("/chat/new/", MANAGER),
    Row("/chat/{chat_channel}/", MANAGER),
    Row("/chat/{chat_channel}/delete/", MANAGER, "post"),
    Row("/chat/{chat_channel}/test/", MANAGER, "post"),
    Row("/api/chat/channels/", MANAGER),
    Row("/api/chat/channels/{chat_channel}/", MANAGER),
    Row("/api/chat/channels/{chat_channel}/", MANAGER, "patch", {"name": "IDOR"}, json=True),
    Row("/api/chat/channels/{chat_channel}/deliveries/", MANAGER),
    Row("/api/chat/channels/{chat_channel}/test/", MANAGER, "post", json=True),
]
