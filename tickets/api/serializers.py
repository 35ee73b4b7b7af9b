from datetime import tzinfo
from typing import Any

from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from helpdesk.serializers import KnownFieldsOnlyMixin, ShallowFieldCopiesMixin
from notifications.mentions import Unreached
from ola.api.serializers import OlaClockSerializer
from ola.selectors import ticket_ola_status
from sla.selectors import ticket_sla_status
from tickets.bulk import BULK_ACTIONS, MAX_BULK_IDS
from tickets.models import (
    Attachment,
    Category,
    ClosureCode,
    Comment,
    Kind,
    Level,
    Priority,
    Status,
    Ticket,
    TicketEvent,
)
from tickets.models_choices import (
    CANCEL_CODES,
    MAX_LENGTH_MESSAGE,
    REASON_MAX_LENGTH,
    RESOLUTION_CODES,
    TEXT_MAX_LENGTH,
)
from tickets.selectors import event_reason_for_user
from tickets.transitions import allowed_transitions


class LimitedCharField(serializers.CharField):
    """A text with a length limit, refused in our words (MAX_LENGTH_MESSAGE: "at most", where
    DRF's Spanish says "fewer than"), as the forms' LimitedTextField."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = [
            MaxLengthValidator(self.max_length, message=MAX_LENGTH_MESSAGE)
            if isinstance(validator, MaxLengthValidator)
            else validator
            for validator in self.validators
        ]


class UserRefSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CategorySerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    path = serializers.CharField(read_only=True)

    class Meta:
        model = Category
        fields = ["id", "name", "name_es", "parent", "path", "is_active"]


class SlaClockSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    """One SLA clock (the latest cycle of each metric) as the API shows it."""

    metric = serializers.CharField()
    cycle = serializers.IntegerField()
    state = serializers.CharField(help_text=_("running, paused, met, breached or cancelled"))
    priority = serializers.IntegerField()
    target_seconds = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(
        help_text=_(
            "When the target is reached. While paused, the time as of the pause: when the clock "
            "resumes it moves by the time paused, unless the pause began at or after it."
        )
    )
    at_risk_at = serializers.DateTimeField(help_text=_("When 75 % of the target is used."))
    stopped_at = serializers.DateTimeField(allow_null=True)
    paused_seconds = serializers.IntegerField()
    remaining_seconds = serializers.IntegerField(
        allow_null=True,
        help_text=_(
            "Negative when overdue; frozen while paused (breached tells whether a paused clock is "
            "overdue); empty once the clock stopped."
        ),
    )
    at_risk = serializers.BooleanField()
    breached = serializers.BooleanField()


_CLOCK_FIELDS = list(SlaClockSerializer._declared_fields)
_STATUS_LABELS = dict(Status.choices)  # lazy labels: translated when rendered
_CLOCK_TIMES = {"started_at", "due_at", "at_risk_at", "stopped_at"}
_OLA_CLOCK_FIELDS = list(OlaClockSerializer._declared_fields)
_TIME_FIELD = serializers.DateTimeField()


def _as_time(value: Any, zone: tzinfo) -> Any:
    """A datetime as DRF's DateTimeField renders it (ISO 8601 in the current time zone, "Z" for
    UTC) without the field's per-call lookups: a list page renders about 200 of them."""
    if value is None:
        return None
    if timezone.is_naive(value):
        return _TIME_FIELD.to_representation(value)
    text = value.astimezone(zone).isoformat()
    return f"{text[:-6]}Z" if text.endswith("+00:00") else text


class TicketListSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    category_path = serializers.SerializerMethodField()
    # Plain dicts rather than nested serializers: a page of 25 rows stays cheap to render.
    requester = serializers.SerializerMethodField()
    assignee = serializers.SerializerMethodField()
    sla = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "reference",
            "title",
            "kind",
            "status",
            "status_display",
            "priority",
            "priority_is_provisional",
            "tier",
            "category",
            "category_path",
            "requester",
            "assignee",
            "source",
            "created_at",
            "updated_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "sla",
        ]
        read_only_fields = fields

    @extend_schema_field(UserRefSerializer)
    def get_requester(self, ticket: Ticket) -> dict[str, Any]:
        return {"id": ticket.requester_id, "name": ticket.requester.name}

    @extend_schema_field(UserRefSerializer(allow_null=True))
    def get_assignee(self, ticket: Ticket) -> dict[str, Any] | None:
        if ticket.assignee_id is None:
            return None
        return {"id": ticket.assignee_id, "name": ticket.assignee.name}  # type: ignore[union-attr]

    @extend_schema_field(SlaClockSerializer(many=True))
    def get_sla(self, ticket: Ticket) -> list[dict[str, Any]]:
        zone = timezone.get_current_timezone()
        return [
            {
                name: clock[name] if name not in _CLOCK_TIMES else _as_time(clock[name], zone)
                for name in _CLOCK_FIELDS
            }
            for clock in ticket_sla_status(ticket=ticket)
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_category_path(self, ticket: Ticket) -> str | None:
        return ticket.category.path if ticket.category else None

    def to_representation(self, ticket: Ticket) -> dict[str, Any]:
        """The row built directly. DRF's field-by-field rendering (a lookup, a conversion and a
        signature check per field) was two thirds of a list page's time: 25 rows × 20 fields.
        tests/tickets/test_api_list_rows.py holds it equal to the generic rendering."""
        zone = timezone.get_current_timezone()
        return {
            "id": ticket.pk,
            "reference": ticket.reference,
            "title": ticket.title,
            "kind": ticket.kind,
            "status": ticket.status,
            # (get_status_display rebuilds and translates the whole choices dict per call)
            "status_display": str(_STATUS_LABELS.get(ticket.status, ticket.status)),
            "priority": ticket.priority,
            "priority_is_provisional": ticket.priority_is_provisional,
            "tier": ticket.tier,
            "category": ticket.category_id,
            "category_path": self.get_category_path(ticket),
            "requester": self.get_requester(ticket),
            "assignee": self.get_assignee(ticket),
            "source": ticket.source,
            "created_at": _as_time(ticket.created_at, zone),
            "updated_at": _as_time(ticket.updated_at, zone),
            "first_response_at": _as_time(ticket.first_response_at, zone),
            "resolved_at": _as_time(ticket.resolved_at, zone),
            "closed_at": _as_time(ticket.closed_at, zone),
            "sla": self.get_sla(ticket),
        }


class TicketDetailSerializer(TicketListSerializer):
    allowed_transitions = serializers.SerializerMethodField()
    ola = serializers.SerializerMethodField()
    # Empty until the ticket is resolved or cancelled.
    closure_code = serializers.ChoiceField(
        choices=ClosureCode.choices, allow_blank=True, read_only=True
    )

    class Meta(TicketListSerializer.Meta):
        fields = [
            *TicketListSerializer.Meta.fields,
            "description",
            "contact_name",
            "contact_email",
            "contact_phone",
            "affected",
            "impact",
            "urgency",
            "priority_override_reason",
            "closure_code",
            "resolution_summary",
            "escalation_count",
            "last_escalated_at",
            "reopen_count",
            "merged_into",
            "allowed_transitions",
            "ola",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "merged_into": {"help_text": "Closed as a duplicate of this ticket (issue 21)"}
        }

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_transitions(self, ticket: Ticket) -> list[str]:
        return allowed_transitions(ticket=ticket, user=self.context["request"].user)

    @extend_schema_field(OlaClockSerializer(many=True))
    def get_ola(self, ticket: Ticket) -> list[dict[str, Any]]:
        """The OLA clocks of the ticket's stay in its tier (issue 22; support staff only)."""
        zone = timezone.get_current_timezone()
        return [
            {
                name: clock[name] if name not in _CLOCK_TIMES else _as_time(clock[name], zone)
                for name in _OLA_CLOCK_FIELDS
            }
            for clock in ticket_ola_status(ticket=ticket)
        ]

    def to_representation(self, ticket: Ticket) -> dict[str, Any]:
        """The list row and the detail's fields, built directly too: every write answers with
        one, and DRF builds ~35 fields from the model per serializer before rendering them.
        tests/tickets/test_api_list_rows.py holds it equal to the generic rendering."""
        row = super().to_representation(ticket)
        zone = timezone.get_current_timezone()
        row.update(
            {
                "description": ticket.description,
                "contact_name": ticket.contact_name,
                "contact_email": ticket.contact_email,
                "contact_phone": ticket.contact_phone,
                "affected": ticket.affected,
                "impact": ticket.impact,
                "urgency": ticket.urgency,
                "priority_override_reason": ticket.priority_override_reason,
                "closure_code": ticket.closure_code,
                "resolution_summary": ticket.resolution_summary,
                "escalation_count": ticket.escalation_count,
                "last_escalated_at": _as_time(ticket.last_escalated_at, zone),
                "reopen_count": ticket.reopen_count,
                "merged_into": ticket.merged_into_id,
                "allowed_transitions": self.get_allowed_transitions(ticket),
                "ola": self.get_ola(ticket),
            }
        )
        return row


# What only support staff read of a ticket: who holds it, the agents' own assessment (impact and
# the reason of a priority override) and its escalation record. A requester's answers (detail,
# list, every transition's answer) never carry them; the timeline hides the same things
# (tickets.selectors.ticket_events_for_user). tests/security/test_requester_fields.py walks every
# requester-visible endpoint against an allow-list.
STAFF_ONLY_FIELDS = frozenset(
    {
        "assignee",
        "impact",
        "priority_override_reason",
        "escalation_count",
        "last_escalated_at",
        # Another requester's ticket may be the one kept: its id is for the support team.
        "merged_into",
        # The tiers' operational level clocks are internal to the support team (issue 22).
        "ola",
    }
)


class RequesterTicketListSerializer(TicketListSerializer):
    """A list row as a requester (or anyone outside support staff) reads it."""

    class Meta(TicketListSerializer.Meta):
        fields = [f for f in TicketListSerializer.Meta.fields if f not in STAFF_ONLY_FIELDS]
        read_only_fields = fields

    def to_representation(self, ticket: Ticket) -> dict[str, Any]:
        row = super().to_representation(ticket)
        for name in STAFF_ONLY_FIELDS:
            row.pop(name, None)
        return row


class RequesterTicketDetailSerializer(TicketDetailSerializer):
    """One ticket as a requester (or anyone outside support staff) reads it."""

    class Meta(TicketDetailSerializer.Meta):
        fields = [f for f in TicketDetailSerializer.Meta.fields if f not in STAFF_ONLY_FIELDS]
        read_only_fields = fields

    def to_representation(self, ticket: Ticket) -> dict[str, Any]:
        row = super().to_representation(ticket)
        for name in STAFF_ONLY_FIELDS:
            row.pop(name, None)
        return row


def ticket_serializer_class(*, user: Any, detail: bool) -> type[TicketListSerializer]:
    """The ticket serializer for this viewer: support staff read everything."""
    staff = bool(user.is_authenticated and user.is_staff_member)
    if detail:
        return TicketDetailSerializer if staff else RequesterTicketDetailSerializer
    return TicketListSerializer if staff else RequesterTicketListSerializer


class TicketCreateSerializer(ShallowFieldCopiesMixin, KnownFieldsOnlyMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = LimitedCharField(max_length=TEXT_MAX_LENGTH)
    urgency = serializers.ChoiceField(choices=Level.choices, default=Level.MEDIUM)
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.filter(is_active=True), required=False, allow_null=True
    )
    kind = serializers.ChoiceField(choices=Kind.choices, default=Kind.INCIDENT)
    affected = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    contact_name = serializers.CharField(
        max_length=150, required=False, allow_blank=True, default=""
    )
    contact_email = serializers.EmailField(required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default=""
    )
    requester_email = serializers.EmailField(
        required=False,
        help_text=_("Agents only: log the ticket for this requester (created if new)."),
    )


class TicketUpdateSerializer(ShallowFieldCopiesMixin, KnownFieldsOnlyMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = LimitedCharField(max_length=TEXT_MAX_LENGTH, required=False)
    contact_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    affected = serializers.CharField(max_length=200, required=False, allow_blank=True)
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), required=False)
    impact = serializers.ChoiceField(choices=Level.choices, required=False)
    urgency = serializers.ChoiceField(choices=Level.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    reason = LimitedCharField(
        max_length=REASON_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class AttachmentSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "filename", "content_type", "size", "is_internal", "created_at"]
        read_only_fields = fields


class CommentSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    author = UserRefSerializer(read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "is_internal", "created_at", "attachments"]
        read_only_fields = ["id", "author", "created_at", "attachments"]


class UnreachedMentionSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    name = serializers.CharField(help_text="The user name mentioned (without the @).")
    reason = serializers.ChoiceField(
        choices=Unreached.choices,
        help_text="no_account: no active account has it; not_staff: a requester or security "
        "officer (never told of a note); no_access: support staff who cannot open the ticket.",
    )
    message = serializers.CharField(help_text="The reason, in the caller's language.")


class CommentCreatedSerializer(CommentSerializer):
    mentions_not_notified = UnreachedMentionSerializer(
        many=True,
        read_only=True,
        help_text="The @mentions of the comment that notified nobody, and why (the comment is "
        "saved).",
    )

    class Meta(CommentSerializer.Meta):
        fields = [*CommentSerializer.Meta.fields, "mentions_not_notified"]
        read_only_fields = [*CommentSerializer.Meta.read_only_fields, "mentions_not_notified"]


class CommentCreateSerializer(
    ShallowFieldCopiesMixin, KnownFieldsOnlyMixin, serializers.Serializer
):
    # Empty with files: a reply that is only a file (the service refuses neither text nor file).
    body = LimitedCharField(
        max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    is_internal = serializers.BooleanField(default=False)
    files = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, max_length=10
    )
    expected_version = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=40,
        help_text="The ticket's version as you last read it (the ETag of GET /api/tickets/{id}/; "
        "or send it as If-Match). When someone else wrote on the ticket since, nothing is saved "
        "and the answer is a 409 with what changed and the version now.",
    )


class EventSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    actor = UserRefSerializer(read_only=True, allow_null=True)
    reason = serializers.SerializerMethodField()
    changes = serializers.SerializerMethodField()
    # Empty on the `created` event and on events that change no state.
    from_status = serializers.ChoiceField(choices=Status.choices, allow_blank=True, read_only=True)
    to_status = serializers.ChoiceField(choices=Status.choices, allow_blank=True, read_only=True)

    class Meta:
        model = TicketEvent
        fields = [
            "id",
            "created_at",
            "actor",
            "kind",
            "transition",
            "from_status",
            "to_status",
            "changes",
            "reason",
        ]
        read_only_fields = fields

    def _viewer(self) -> User:
        return self.context["request"].user

    def get_reason(self, event: TicketEvent) -> str:
        return event_reason_for_user(user=self._viewer(), event=event)

    @extend_schema_field(serializers.DictField())
    def get_changes(self, event: TicketEvent) -> dict[str, Any]:
        # Requesters see what happened, not who was assigned or how it was classified.
        return event.changes if self._viewer().is_staff_member else {}


# --- transition inputs ---------------------------------------------------------------------------


class EmptySerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    pass


class ReasonSerializer(ShallowFieldCopiesMixin, KnownFieldsOnlyMixin, serializers.Serializer):
    reason = LimitedCharField(
        max_length=REASON_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class RequiredReasonSerializer(
    ShallowFieldCopiesMixin, KnownFieldsOnlyMixin, serializers.Serializer
):
    reason = LimitedCharField(max_length=REASON_MAX_LENGTH)


class TriageSerializer(ShallowFieldCopiesMixin, KnownFieldsOnlyMixin, serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all())
    impact = serializers.ChoiceField(choices=Level.choices)
    urgency = serializers.ChoiceField(choices=Level.choices)
    priority = serializers.ChoiceField(
        choices=Priority.choices,
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Override the matrix; needs a reason."),
    )
    reason = LimitedCharField(
        max_length=REASON_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class IdentifySerializer(ShallowFieldCopiesMixin, KnownFieldsOnlyMixin, serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices)


class CategorizeSerializer(ShallowFieldCopiesMixin, KnownFieldsOnlyMixin, serializers.Serializer):
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all())


class PrioritizeSerializer(ShallowFieldCopiesMixin, KnownFieldsOnlyMixin, serializers.Serializer):
    impact = serializers.ChoiceField(choices=Level.choices)
    urgency = serializers.ChoiceField(choices=Level.choices)
    priority = serializers.ChoiceField(
        choices=Priority.choices, required=False, allow_null=True, default=None
    )
    reason = LimitedCharField(
        max_length=REASON_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class AssignSerializer(ShallowFieldCopiesMixin, KnownFieldsOnlyMixin, serializers.Serializer):
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())


class ReassignSerializer(ShallowFieldCopiesMixin, KnownFieldsOnlyMixin, serializers.Serializer):
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
    reason = LimitedCharField(max_length=REASON_MAX_LENGTH)


class ResolveSerializer(ShallowFieldCopiesMixin, KnownFieldsOnlyMixin, serializers.Serializer):
    summary = LimitedCharField(max_length=TEXT_MAX_LENGTH)
    code = serializers.ChoiceField(
        choices=[(c.value, c.label) for c in ClosureCode if c in RESOLUTION_CODES]
    )


class CancelSerializer(ShallowFieldCopiesMixin, KnownFieldsOnlyMixin, serializers.Serializer):
    code = serializers.ChoiceField(
        choices=[(c.value, c.label) for c in ClosureCode if c in CANCEL_CODES]
    )
    reason = LimitedCharField(
        max_length=REASON_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class MergeSerializer(ShallowFieldCopiesMixin, KnownFieldsOnlyMixin, serializers.Serializer):
    into = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="The id of the ticket to merge this one into"
    )


class ErrorSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    """Every API error: a message, and for bad input the errors per field."""

    message = serializers.CharField()

    def get_fields(self) -> dict[str, serializers.Field]:
        # Declared here: a class attribute named `errors` would shadow Serializer.errors.
        fields = super().get_fields()
        fields["errors"] = serializers.DictField(required=False)
        return fields


# --- bulk actions (tickets.bulk) ---------------------------------------------------------------


class BulkArgsSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    """What the action needs: take none; assign `assignee` (and `reason` when the ticket is
    already being worked on); category `category`; priority `priority` and `reason`; escalate
    `reason`; hold an optional `reason`; resolve `summary` and `code`; merge `into` (the id of
    the ticket the others are merged into as duplicates)."""

    reason = LimitedCharField(
        max_length=REASON_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False)
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), required=False)
    priority = serializers.IntegerField(min_value=1, max_value=5, required=False)
    summary = LimitedCharField(
        max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    # Checked with the other arguments (tickets.bulk.bulk_args_check): a plain string here keeps
    # the schema's one enum of resolution codes (ResolveSerializer's).
    code = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        help_text="resolve: " + ", ".join(RESOLUTION_CODES),
    )
    into = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)


class BulkActionSerializer(ShallowFieldCopiesMixin, KnownFieldsOnlyMixin, serializers.Serializer):
    action = serializers.ChoiceField(choices=list(BULK_ACTIONS))
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        min_length=1,
        max_length=MAX_BULK_IDS,
        help_text=f"Ticket ids, at most {MAX_BULK_IDS}; a repeated id is done once.",
    )
    args = BulkArgsSerializer(required=False, default=dict)


class BulkOutcomeSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    id = serializers.IntegerField(source="ticket_id")
    reference = serializers.CharField()
    ok = serializers.BooleanField()
    code = serializers.IntegerField(
        help_text="200 done; otherwise what the single action answers (400, 403, 404, 409)"
    )
    message = serializers.CharField()
    status = serializers.CharField(help_text="The ticket's state after the attempt")


class BulkResultSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    action = serializers.CharField()
    done = serializers.IntegerField()
    failed = serializers.IntegerField()
    results = BulkOutcomeSerializer(many=True)


# --- presence and collisions (tickets.presence, tickets.collisions) -----------------------------


class PresenceViewerSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    user_id = serializers.IntegerField()
    name = serializers.CharField()
    typing = serializers.BooleanField(help_text="Typing a reply on the ticket page right now.")


class PresenceSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    """The other support staff on the ticket (never the caller)."""

    viewers = PresenceViewerSerializer(many=True)
    heartbeat_seconds = serializers.IntegerField(
        help_text="Send a heartbeat this often to stay listed."
    )


class PresenceBeatSerializer(ShallowFieldCopiesMixin, KnownFieldsOnlyMixin, serializers.Serializer):
    typing = serializers.BooleanField(default=False)


class TicketChangedSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    """A reply refused because the ticket changed since `expected_version`: nothing was saved.
    Send it again with `version` to post anyway."""

    message = serializers.CharField()
    version = serializers.CharField()
    comments = CommentSerializer(many=True)
    events = EventSerializer(many=True)
