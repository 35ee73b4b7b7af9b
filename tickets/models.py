import secrets
from datetime import datetime
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from escalation.models import Tier
from tickets.models_choices import (
    ACTIVE_STATES,
    IMPACT_LABELS,
    OPEN_STATES,
    URGENCY_LABELS,
    ClosureCode,
    EventKind,
    Kind,
    Level,
    Priority,
    Source,
    Status,
    event_kinds,
)
from tickets.priority import priority_from_matrix

if TYPE_CHECKING:
    from accounts.models import User

__all__ = [
    "Attachment",
    "Category",
    "ClosureCode",
    "Comment",
    "EventKind",
    "Kind",
    "Level",
    "Priority",
    "Source",
    "Status",
    "Ticket",
    "TicketEvent",
]

REFERENCE_PREFIX = {Kind.INCIDENT: "INC", Kind.SERVICE_REQUEST: "REQ"}
WRITE_SEQUENCE = "tickets_write_seq"


class WriteOrder(models.Expression):
    """The next value of one sequence shared by ticket events and comments (PostgreSQL), so
    rows written at the same instant keep the order they were written in across both tables
    (the SLA replay needs it). NULL on SQLite (the embedded mode): there the replay orders an
    instant's events before its messages, which differs only for a message and an event
    written at the very same microsecond (frozen time in tests)."""

    allowed_default = True

    def __init__(self) -> None:
        super().__init__(output_field=models.BigIntegerField())

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        if connection.vendor == "postgresql":
            return f"nextval('{WRITE_SEQUENCE}')", []
        return "NULL", []


class Category(models.Model):
    """Two levels: a top category (parent empty) and its subcategories."""

    name = models.CharField(_("name (English)"), max_length=120)
    name_es = models.CharField(_("name (Spanish)"), max_length=120, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="category_unique_name_per_parent"
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="category_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.path

    @property
    def label(self) -> str:
        if translation.get_language() == "es" and self.name_es:
            return self.name_es
        return self.name

    @property
    def path(self) -> str:
        # Callers that show paths select_related("parent"), so this costs no query.
        if self.parent_id is None:
            return self.label
        return f"{self.parent.label} › {self.label}"  # type: ignore[union-attr]


def _new_tracking_token() -> str:
    return secrets.token_urlsafe(24)


class Ticket(FSMModelMixin, models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.INCIDENT)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    source = models.CharField(_("source"), max_length=20, choices=Source, default=Source.WEB)

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="requested_tickets",
        db_index=False,  # covered by the (requester, -id) index
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        db_index=False,  # covered by the (organisation, -id) index
    )
    contact_name = models.CharField(_("contact name"), max_length=150, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    affected = models.CharField(_("what is affected"), max_length=200, blank=True)

    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        db_index=False,  # covered by the (category, -id) index
    )
    impact = models.CharField(_("impact"), max_length=10, choices=Level, default=Level.LOW)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Level, default=Level.MEDIUM)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority, default=Priority.P4
    )
    priority_is_provisional = models.BooleanField(_("provisional priority"), default=True)
    priority_override_reason = models.TextField(_("priority override reason"), blank=True)

    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier, default=Tier.L1)
    # The queue is the tier, narrowed to one of its groups when a routing rule says so.
    support_group = models.ForeignKey(
        "escalation.SupportGroup",
        verbose_name=_("support group"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    status = FSMField(
        _("status"), max_length=20, choices=Status, default=Status.NEW, protected=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        db_index=False,  # covered by the (assignee, -id) index
    )
    closure_code = models.CharField(
        _("closure code"), max_length=20, choices=ClosureCode, blank=True
    )
    resolution_summary = models.TextField(_("resolution summary"), blank=True)
    tracking_token = models.CharField(
        _("tracking token"), max_length=40, unique=True, default=_new_tracking_token, editable=False
    )

    created_at = models.DateTimeField(_("logged at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    last_escalated_at = models.DateTimeField(_("last escalated at"), null=True, blank=True)
    escalation_count = models.PositiveSmallIntegerField(_("escalations"), default=0)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("reopened"), default=0)
    # resolved − created − time paused waiting on the requester, set by the SLA service when
    # the ticket is resolved: the dashboard's time to resolve, without a per-ticket lookup.
    time_to_resolve = models.DurationField(_("time to resolve"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            # Shaped like the list queries: a filter, then newest first (keyset pagination).
            models.Index(fields=["tier", "status", "-id"], name="ticket_queue_idx"),
            models.Index(fields=["status", "-id"], name="ticket_status_idx"),
            models.Index(fields=["requester", "-id"], name="ticket_requester_idx"),
            models.Index(fields=["assignee", "-id"], name="ticket_assignee_idx"),
            models.Index(fields=["organisation", "-id"], name="ticket_org_idx"),
            models.Index(fields=["category", "-id"], name="ticket_category_idx"),
            # The console's "priority, then newest" sort over a tier's open tickets.
            models.Index(
                fields=["tier", "priority", "-id"],
                name="ticket_open_priority_idx",
                condition=Q(status__in=OPEN_STATES),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(tier__gte=1, tier__lte=3), name="ticket_tier_range"),
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=5), name="ticket_priority_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return f"{REFERENCE_PREFIX[Kind(self.kind)]}-{self.pk or 0:06d}"

    @property
    def is_open(self) -> bool:
        return self.status != Status.CLOSED

    # Spanish agreement: "impacto alto", "urgencia alta" (Django keeps these overrides).
    def get_impact_display(self) -> str:  # type: ignore[no-redef]
        return str(IMPACT_LABELS.get(self.impact, self.impact))

    def get_urgency_display(self) -> str:  # type: ignore[no-redef]
        return str(URGENCY_LABELS.get(self.urgency, self.urgency))

    # --- transitions: each changes only the ticket's own fields --------------------------------

    @transition(field=status, source=Status.NEW, target=Status.LOGGED)
    def identify(self, *, kind: str) -> None:
        self.kind = kind

    @transition(field=status, source=Status.LOGGED, target=Status.CATEGORIZED)
    def categorize(self, *, category: Category) -> None:
        self.category = category

    @transition(field=status, source=Status.CATEGORIZED, target=Status.PRIORITIZED)
    def prioritize(
        self, *, impact: str, urgency: str, override: int | None = None, reason: str = ""
    ) -> None:
        self.set_priority(impact=impact, urgency=urgency, override=override, reason=reason)

    @transition(field=status, source=Status.PRIORITIZED, target=Status.IN_DIAGNOSIS)
    def start_diagnosis(self, *, assignee: "User") -> None:
        self.assignee = assignee

    @transition(
        field=status, source=[Status.PRIORITIZED, Status.ESCALATED], target=Status.IN_DIAGNOSIS
    )
    def take(self, *, agent: "User") -> None:
        self.assignee = agent

    def can_escalate_tier(self) -> bool:
        return self.tier < Tier.L3

    @transition(
        field=status,
        source=Status.IN_DIAGNOSIS,
        target=Status.ESCALATED,
        conditions=[can_escalate_tier],  # type: ignore[list-item]
    )
    def escalate(self, *, at: datetime) -> None:
        self._up_one_tier(at=at)

    @transition(
        field=status,
        source=[Status.PRIORITIZED, Status.IN_DIAGNOSIS, Status.ESCALATED],
        target=Status.ESCALATED,
        conditions=[can_escalate_tier],  # type: ignore[list-item]
    )
    def escalate_for_breach(self, *, at: datetime) -> None:
        """The system's functional escalation after a resolution-SLA breach (no actor)."""
        self._up_one_tier(at=at)

    def _up_one_tier(self, *, at: datetime) -> None:
        self.tier += 1
        self.assignee = None
        self.support_group = None
        self.escalation_count += 1
        self.last_escalated_at = at

    def can_deescalate_tier(self) -> bool:
        return self.tier > Tier.L1

    @transition(
        field=status,
        source=[Status.IN_DIAGNOSIS, Status.ESCALATED],
        target=Status.ESCALATED,
        conditions=[can_deescalate_tier],  # type: ignore[list-item]
    )
    def deescalate(self) -> None:
        """Back to the lower tier's queue, waiting for one of its agents to take it."""
        self.tier -= 1
        self.assignee = None
        self.support_group = None

    @transition(field=status, source=Status.IN_DIAGNOSIS, target=Status.ON_HOLD)
    def hold(self) -> None:
        pass

    @transition(field=status, source=Status.ON_HOLD, target=Status.IN_DIAGNOSIS)
    def resume(self) -> None:
        pass

    @transition(field=status, source=Status.IN_DIAGNOSIS, target=Status.RESOLVED)
    def resolve(self, *, summary: str, code: str, at: datetime) -> None:
        self.resolution_summary = summary
        self.closure_code = code
        self.resolved_at = at
        if self.first_response_at is None:
            # The summary goes to the requester, so resolving is a public reply.
            self.first_response_at = at

    @transition(field=status, source=Status.RESOLVED, target=Status.CLOSED)
    def close(self, *, at: datetime) -> None:
        self.closed_at = at

    @transition(field=status, source=Status.RESOLVED, target=Status.IN_DIAGNOSIS)
    def reopen(self) -> None:
        self.resolved_at = None
        self.closure_code = ""
        self.reopen_count += 1

    # System transitions, used only by the monitoring intake (integrations.services), actor None.
    @transition(
        field=status,
        source=[
            Status.NEW,
            Status.LOGGED,
            Status.CATEGORIZED,
            Status.PRIORITIZED,
            Status.ESCALATED,
        ],
        target=Status.RESOLVED,
    )
    def recover(self, *, summary: str, at: datetime) -> None:
        """The monitored service recovered before an agent took the incident."""
        self.resolution_summary = summary
        self.closure_code = ClosureCode.FIXED
        self.resolved_at = at
        if self.first_response_at is None:
            # As with resolve: the summary is the answer to the requester.
            self.first_response_at = at

    @transition(field=status, source=Status.RESOLVED, target=Status.PRIORITIZED)
    def relapse(self) -> None:
        """A recovered incident's alert fires again: back to its tier's queue."""
        self.resolved_at = None
        self.closure_code = ""
        self.resolution_summary = ""
        self.reopen_count += 1

    @transition(field=status, source=ACTIVE_STATES, target=Status.CLOSED)
    def cancel(self, *, code: str, at: datetime) -> None:
        self.closure_code = code
        self.closed_at = at

    # --- field helpers used by transitions and by later reclassification -----------------------

    def set_priority(
        self, *, impact: str, urgency: str, override: int | None = None, reason: str = ""
    ) -> None:
        self.impact = impact
        self.urgency = urgency
        self.priority = override or priority_from_matrix(impact=impact, urgency=urgency)
        self.priority_override_reason = reason if override else ""
        self.priority_is_provisional = False


class TicketEvent(models.Model):
    """One row per change to a ticket: the audit trail and the source of every report."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the system acted (SLA sweep, automation)."),
    )
    created_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=20, choices=event_kinds)
    transition = models.CharField(max_length=40, blank=True)
    from_status = models.CharField(max_length=20, choices=Status, blank=True)
    to_status = models.CharField(max_length=20, choices=Status, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    reason_is_internal = models.BooleanField(
        default=False, help_text=_("Hidden from the requester (e.g. an escalation reason).")
    )
    seq = models.BigIntegerField(
        null=True,
        editable=False,
        db_default=WriteOrder(),
        help_text="Write order across events and comments (empty before it was kept).",
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        indexes = [models.Index(fields=["ticket", "created_at"], name="event_ticket_time_idx")]

    def __str__(self) -> str:
        if self.kind == EventKind.TRANSITION:
            return f"{self.transition}: {self.from_status} → {self.to_status}"
        return self.get_kind_display()


class Comment(models.Model):
    """A public reply (the requester sees it) or an internal note (agents only)."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="comments", db_index=False
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments"
    )
    body = models.TextField(_("message"))
    is_internal = models.BooleanField(_("internal note"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    seq = models.BigIntegerField(
        null=True,
        editable=False,
        db_default=WriteOrder(),
        help_text="Write order across events and comments (empty before it was kept).",
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [models.Index(fields=["ticket", "created_at"], name="comment_ticket_time_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.body[:40]}"


def _attachment_path(instance: "Attachment", filename: str) -> str:
    return f"attachments/{instance.ticket_id}/{secrets.token_hex(8)}/{PurePath(filename).name}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=_attachment_path, max_length=300)
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField()
    is_internal = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename
