"""Every write to the breach register. Each one records its field-level changes in the audit."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from breaches import selectors
from breaches.display import field_label, value_display
from breaches.models import (
    CLOCK_THRESHOLDS,
    DEADLINE_HOURS,
    EDITABLE_FIELDS,
    NOTIFICATION_WINDOW,
    AuditAction,
    AuthorityDecision,
    AuthorityNotification,
    Breach,
    BreachAttachment,
    BreachAuditEntry,
    BreachClockEvent,
    BreachNote,
    BreachStatus,
    NotificationPhase,
    RiskLevel,
    SubjectsDecision,
    SubjectsExemption,
)
from helpdesk.errors import ConflictError, DomainError
from helpdesk.text import newlines_normalized
from helpdesk.uploads import safe_filename, sniff_content_type
from notifications.models import NotificationKind
from notifications.services import notification_enqueue
from tickets.models import Ticket

logger = logging.getLogger(__name__)

# Everything the audit compares (editable fields and what the services derive from them).
AUDITED_FIELDS = [
    *EDITABLE_FIELDS,
    "notify_due_at",
    "clock_next_at",
    "clock_level",
    "clock_stopped_at",
    "authority_decision",
    "authority_decision_reason",
    "late_reason",
    "subjects_decision",
    "subjects_exemption",
    "subjects_decision_reason",
    "subjects_communicated_at",
    "subjects_communication",
]
TEXT_FIELDS = {
    "title",
    "description",
    "subject_categories",
    "data_categories",
    "special_categories",
    "likely_consequences",
    "risk_reasoning",
    "containment_measures",
    "remedial_measures",
    "dpo_contact",
    "processor_involved",
}


# --- permissions -------------------------------------------------------------------------------


def _require_officer(actor: User) -> None:
    """Only security officers change the register; managers read it."""
    if not (actor.is_authenticated and actor.is_active and actor.role == Role.SECURITY_OFFICER):
        raise PermissionDenied(_("Only security officers can change the breach register."))


def security_officers() -> list[User]:
    return list(User.objects.filter(role=Role.SECURITY_OFFICER, is_active=True).order_by("pk"))


# --- the audit recipe --------------------------------------------------------------------------


def _snapshot(breach: Breach) -> dict[str, Any]:
    return {field: getattr(breach, field) for field in AUDITED_FIELDS}


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _audit(
    *,
    breach: Breach,
    actor: User | None,
    action: str,
    before: dict[str, Any] | None = None,
    extra: dict[str, list[Any]] | None = None,
    at: datetime | None = None,
) -> BreachAuditEntry | None:
    """Save what changed on the locked breach and write one audit entry (field: [old, new])."""
    changes: dict[str, list[Any]] = {}
    if before is not None:
        after = _snapshot(breach)
        changed = [field for field in AUDITED_FIELDS if after[field] != before[field]]
        if changed:
            breach.save(update_fields=[*changed, "updated_at"])
        changes = {f: [_json_value(before[f]), _json_value(after[f])] for f in changed}
    changes.update(extra or {})
    if not changes and action == AuditAction.UPDATED:
        return None
    return BreachAuditEntry.objects.create(
        breach=breach, actor=actor, action=action, changes=changes, created_at=at or timezone.now()
    )


def _text(value: str | None) -> str:
    """Free text as stored: trimmed, its line breaks "\n" whether a browser ("\r\n") or an
    API client sent it, so that the same text is never an edit (audit entries, conflicts)."""
    return newlines_normalized((value or "").strip())


def _as_typed(field: str, value: Any) -> Any:
    """A value read from the record, as `breach_update` reads what an editor sends."""
    return _text(value) if field in TEXT_FIELDS and isinstance(value, str) else value


def _lock(breach: Breach) -> Breach:
    return Breach.objects.select_for_update().get(pk=breach.pk)


# --- the clock (pure arithmetic) ---------------------------------------------------------------


def threshold_time(*, aware_at: datetime, hours: int) -> datetime:
    """Calendar hours, never business hours: the GDPR counts every hour."""
    return aware_at + timedelta(hours=hours)


def next_threshold_at(*, aware_at: datetime, level: int) -> datetime | None:
    """When the first threshold above `level` falls due; None when all are recorded."""
    for hours in CLOCK_THRESHOLDS:
        if hours > level:
            return threshold_time(aware_at=aware_at, hours=hours)
    return None


def highest_threshold_passed(*, aware_at: datetime, now: datetime) -> int:
    passed = [h for h in CLOCK_THRESHOLDS if threshold_time(aware_at=aware_at, hours=h) <= now]
    return max(passed, default=0)


def _set_clock(breach: Breach) -> None:
    breach.notify_due_at = breach.aware_at + NOTIFICATION_WINDOW
    if breach.clock_stopped_at is None:
        breach.clock_next_at = next_threshold_at(aware_at=breach.aware_at, level=breach.clock_level)
    else:
        breach.clock_next_at = None


def _stop_clock(breach: Breach, *, at: datetime) -> None:
    if breach.clock_stopped_at is None:
        breach.clock_stopped_at = at
    breach.clock_next_at = None


# --- create / flag -----------------------------------------------------------------------------


def _notify_officers(*, breach: Breach, kind: str, cause: str, context: dict[str, str]) -> None:
    for officer in security_officers():
        notification_enqueue(
            recipient=officer,
            kind=kind,
            ticket=None,  # the email must not name the ticket: only a link to the register
            cause=cause,
            context={"breach_id": str(breach.pk), **context},
        )


def breach_create(
    *,
    actor: User,
    title: str,
    description: str = "",
    aware_at: datetime | None = None,
    detected_at: datetime | None = None,
) -> Breach:
    """A security officer opens a record directly (e.g. a report that came outside a ticket)."""
    _require_officer(actor)
    return _open(
        actor=actor,
        title=title,
        description=description,
        aware_at=aware_at,
        detected_at=detected_at,
        ticket=None,
    )


def breach_flag_ticket(*, ticket: Ticket, actor: User, description: str) -> Breach:
    """Any agent flags a ticket they can read as a suspected data breach.

    Opens a breach record linked to the ticket and tells the security officers; from then on
    only they (and managers, read-only) see the record. Flagging a ticket already linked to an
    open breach is refused (the officers already know).
    """
    if not (actor.is_agent or actor.role == Role.SECURITY_OFFICER):
        raise PermissionDenied(_("Only agents can flag a suspected data breach."))
    description = _text(description)
    if not description:
        raise DomainError(
            _("Say briefly what happened (what data, how it was exposed)."), field="description"
        )
    with transaction.atomic():
        Ticket.objects.select_for_update().filter(pk=ticket.pk).first()  # one flag at a time
        if ticket.breaches.filter(status=BreachStatus.OPEN).exists():  # type: ignore[attr-defined]
            raise ConflictError(
                _("This ticket has already been reported to the security officers.")
            )
        return _open(
            actor=actor,
            title=_("Suspected data breach on %(reference)s") % {"reference": ticket.reference},
            description=description,
            aware_at=None,
            detected_at=None,
            ticket=ticket,
        )


def _open(
    *,
    actor: User,
    title: str,
    description: str,
    aware_at: datetime | None,
    detected_at: datetime | None,
    ticket: Ticket | None,
) -> Breach:
    title = title.strip()
    if not title:
        raise DomainError(_("A title is required."), field="title")
    now = timezone.now()
    aware_at = aware_at or now
    if aware_at > now:
        raise DomainError(
            _("The time of becoming aware cannot be in the future."), field="aware_at"
        )
    # As breach_update refuses it: a detection time typed a month ahead was saved as given.
    if detected_at is not None and detected_at > now:
        raise DomainError(_("This time cannot be in the future."), field="detected_at")
    with transaction.atomic():
        breach = Breach(
            title=title[:200],
            description=_text(description),
            reporter=actor,
            aware_at=aware_at,
            detected_at=detected_at or (now if ticket is not None else None),
            created_at=now,
        )
        _set_clock(breach)
        breach.save()
        created = _snapshot(breach)
        changes = {
            field: [None, _json_value(value)]
            for field, value in created.items()
            if value not in (None, "", False)
        }
        if ticket is not None:
            breach.tickets.add(ticket)
            changes["tickets"] = [None, [ticket.reference]]
        BreachAuditEntry.objects.create(
            breach=breach,
            actor=actor,
            action=AuditAction.FLAGGED if ticket is not None else AuditAction.CREATED,
            changes=changes,
            created_at=now,
        )
        _notify_officers(
            breach=breach,
            kind=NotificationKind.BREACH_FLAGGED,
            cause=f"breach:{breach.pk}:flagged",
            context={},
        )
    return breach


# --- edit --------------------------------------------------------------------------------------


def breach_update(
    *, breach: Breach, actor: User, expected_version: int | None = None, **values: Any
) -> Breach:
    """Change register fields; each changed field is audited as old → new.

    `expected_version` (selectors.breach_version, when the editor loaded the breach): a field
    someone else changed since is kept as they saved it unless `values` changes it too; then
    nothing is saved (BreachChangedError, naming each such field and what they saved). Two
    officers editing different fields both keep their changes."""
    _require_officer(actor)
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(
            _("These fields cannot be changed here: %(fields)s")
            % {"fields": ", ".join(sorted(unknown))}
        )
    for field in TEXT_FIELDS & set(values):
        values[field] = _text(values[field])
    if "title" in values and not values["title"]:
        raise DomainError(_("A title is required."), field="title")
    if values.get("risk_level") not in (None, "", *RiskLevel.values):
        raise DomainError(_("Risk level must be none, risk or high."), field="risk_level")
    if values.get("status") not in (None, *BreachStatus.values):
        raise DomainError(_("Status must be open or closed."), field="status")
    now = timezone.now()
    for field in ("aware_at", "detected_at", "occurred_at"):
        if values.get(field) is not None and values[field] > now:
            raise DomainError(_("This time cannot be in the future."), field=field)
    if "aware_at" in values and values["aware_at"] is None:
        raise DomainError(_("The time of becoming aware is required."), field="aware_at")
    for field in ("subjects_approx", "records_approx"):
        if values.get(field) is not None and values[field] < 0:
            raise DomainError(_("A number of zero or more is required."), field=field)
    with transaction.atomic():
        locked = _lock(breach)
        # A text as stored but for its line breaks (saved before they were normalised) is no
        # change: leaving it out writes no audit entry and conflicts with no one.
        values = {
            name: value
            for name, value in values.items()
            if not (name in TEXT_FIELDS and value == _text(getattr(locked, name)))
        }
        if expected_version is not None:
            values = _unseen_changes_kept(locked=locked, values=values, since=expected_version)
        before = _snapshot(locked)
        for field, value in values.items():
            setattr(locked, field, value)
        if (
            locked.status == BreachStatus.CLOSED
            and before["status"] != BreachStatus.CLOSED
            and locked.authority_decision == AuthorityDecision.PENDING
        ):
            raise DomainError(
                _(
                    "Record the notification to the authority, or the decision not to notify, "
                    "first."
                ),
                field="status",
            )
        if locked.aware_at != before["aware_at"]:
            _set_clock(locked)
        _audit(breach=locked, actor=actor, action=AuditAction.UPDATED, before=before, at=now)
    return locked


@dataclass(frozen=True)
class FieldConflict:
    """A field the editor changed that someone else changed after the editor loaded it."""

    field: str
    theirs: Any  # what they saved, now in the record
    actor: User | None


class BreachChangedError(ConflictError):
    """Someone else changed the same fields after the editor loaded the breach: nothing was
    saved. Saving again with `version` (the record now) replaces their values."""

    def __init__(self, *, conflicts: list[FieldConflict], version: int) -> None:
        sentences = [
            _("%(who)s saved “%(field)s” as “%(value)s” after you opened this record.")
            % {
                "who": conflict.actor.name if conflict.actor else _("Someone else"),
                "field": field_label(conflict.field),
                "value": value_display(
                    conflict.field, conflict.theirs, empty=_("(empty)"), limit=200
                ),
            }
            for conflict in conflicts
        ]
        sentences.append(_("Nothing was saved. Saving again replaces their values with yours."))
        super().__init__(" ".join(sentences), field=conflicts[0].field)
        self.conflicts = conflicts
        self.version = version


def _unseen_changes_kept(*, locked: Breach, values: dict[str, Any], since: int) -> dict[str, Any]:
    """`values` without the fields someone else changed after `since` that the editor left as
    they read them (their change stays); BreachChangedError when the editor changed one too."""
    changes = selectors.breach_changes_since(breach=locked, version=since)
    kept: dict[str, Any] = {}
    conflicts: list[FieldConflict] = []
    for name, value in values.items():
        change = changes.get(name)
        if change is None:
            kept[name] = value
        elif value != _as_typed(name, change.read) and value != getattr(locked, name):
            conflicts.append(
                FieldConflict(field=name, theirs=getattr(locked, name), actor=change.actor)
            )
    if conflicts:
        raise BreachChangedError(
            conflicts=conflicts, version=selectors.breach_version(breach=locked)
        )
    return kept


def breach_link_ticket(*, breach: Breach, actor: User, ticket: Ticket) -> Breach:
    _require_officer(actor)
    with transaction.atomic():
        locked = _lock(breach)
        if locked.tickets.filter(pk=ticket.pk).exists():
            return locked
        locked.tickets.add(ticket)
        _audit(
            breach=locked,
            actor=actor,
            action=AuditAction.TICKET_LINKED,
            extra={"tickets": [None, ticket.reference]},
        )
    return locked


def breach_unlink_ticket(*, breach: Breach, actor: User, ticket: Ticket) -> Breach:
    _require_officer(actor)
    with transaction.atomic():
        locked = _lock(breach)
        if not locked.tickets.filter(pk=ticket.pk).exists():
            return locked
        locked.tickets.remove(ticket)
        _audit(
            breach=locked,
            actor=actor,
            action=AuditAction.TICKET_UNLINKED,
            extra={"tickets": [ticket.reference, None]},
        )
    return locked


def breach_add_note(*, breach: Breach, actor: User, body: str) -> BreachNote:
    _require_officer(actor)
    body = _text(body)
    if not body:
        raise DomainError(_("The note is empty."), field="body")
    with transaction.atomic():
        locked = _lock(breach)
        note = BreachNote.objects.create(breach=locked, author=actor, body=body)
        _audit(
            breach=locked,
            actor=actor,
            action=AuditAction.NOTE_ADDED,
            extra={"note": [None, body]},
        )
    return note


def _validate_upload(upload: UploadedFile) -> None:
    name = PurePath(upload.name or "").name
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in settings.ATTACHMENT_ALLOWED_EXTENSIONS:
        raise DomainError(
            _("Files of type .%(ext)s are not accepted.") % {"ext": extension or "?"},
            field="file",
        )
    if (upload.size or 0) > settings.ATTACHMENT_MAX_BYTES:
        raise DomainError(_("The file is too large."), field="file")
    try:
        sniff_content_type(upload)
    except DomainError as error:
        raise DomainError(error.message, field="file") from None


def breach_add_evidence(
    *, breach: Breach, actor: User, files: Iterable[UploadedFile]
) -> list[BreachAttachment]:
    _require_officer(actor)
    files = list(files)
    if not files:
        raise DomainError(_("Choose a file."), field="file")
    for upload in files:
        _validate_upload(upload)
    with transaction.atomic():
        locked = _lock(breach)
        saved = []
        for upload in files:
            name = safe_filename(upload.name or "evidence", default="evidence")
            saved.append(
                BreachAttachment.objects.create(
                    breach=locked,
                    file=upload,
                    filename=name,
                    content_type=sniff_content_type(upload),
                    size=upload.size or 0,
                    uploaded_by=actor,
                )
            )
        _audit(
            breach=locked,
            actor=actor,
            action=AuditAction.EVIDENCE_ADDED,
            extra={"evidence": [None, [a.filename for a in saved]]},
        )
    return saved


# --- art. 33: the supervisory authority --------------------------------------------------------


def breach_notify_authority(
    *,
    breach: Breach,
    actor: User,
    notified_at: datetime,
    reference: str = "",
    summary: str = "",
    authority: str = "AEPD",
    late_reason: str = "",
) -> AuthorityNotification:
    """Record a notification to the authority. The first one stops the clock; later ones are
    phased follow-ups (art. 33(4)). Notifying after the 72 hours requires the reasons (art. 33(1)).
    """
    _require_officer(actor)
    now = timezone.now()
    if notified_at > now:
        raise DomainError(_("The notification time cannot be in the future."), field="notified_at")
    late_reason = _text(late_reason)
    with transaction.atomic():
        locked = _lock(breach)
        before = _snapshot(locked)
        initial = locked.authority_decision != AuthorityDecision.NOTIFIED
        if initial:
            if notified_at < locked.aware_at:
                raise DomainError(
                    _("The authority cannot be notified before the breach was known."),
                    field="notified_at",
                )
            if notified_at > locked.notify_due_at and not (late_reason or locked.late_reason):
                raise DomainError(
                    _(
                        "The notification is later than 72 hours after becoming aware: "
                        "give the reasons for the delay."
                    ),
                    field="late_reason",
                )
            locked.authority_decision = AuthorityDecision.NOTIFIED
            locked.authority_decision_reason = ""
            if late_reason:
                locked.late_reason = late_reason
            _stop_clock(locked, at=notified_at)
        try:
            with transaction.atomic():
                notification = AuthorityNotification.objects.create(
                    breach=locked,
                    phase=NotificationPhase.INITIAL if initial else NotificationPhase.FOLLOW_UP,
                    notified_at=notified_at,
                    authority=(authority or "AEPD").strip()[:200],
                    reference=reference.strip()[:100],
                    summary=_text(summary),
                    recorded_by=actor,
                )
        except IntegrityError:
            raise ConflictError(_("The initial notification is already recorded.")) from None
        _audit(
            breach=locked,
            actor=actor,
            action=AuditAction.AUTHORITY_NOTIFIED if initial else AuditAction.AUTHORITY_FOLLOW_UP,
            before=before,
            extra={
                "authority_notification": [
                    None,
                    {
                        "phase": notification.phase,
                        "notified_at": notified_at.isoformat(),
                        "authority": notification.authority,
                        "reference": notification.reference,
                        "summary": notification.summary,
                    },
                ]
            },
            at=now,
        )
    return notification


def breach_decide_not_to_notify(*, breach: Breach, actor: User, reason: str) -> Breach:
    """The documented decision not to notify (art. 33(1): unlikely to result in a risk, with the
    reasoning, art. 33(5)). It ends the clock."""
    _require_officer(actor)
    reason = _text(reason)
    if not reason:
        raise DomainError(_("Explain why the authority is not notified."), field="reason")
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(breach)
        if locked.authority_decision == AuthorityDecision.NOTIFIED:
            raise ConflictError(_("The authority has already been notified."))
        before = _snapshot(locked)
        locked.authority_decision = AuthorityDecision.NOT_NOTIFIED
        locked.authority_decision_reason = reason
        _stop_clock(locked, at=now)
        _audit(breach=locked, actor=actor, action=AuditAction.NOT_NOTIFYING, before=before, at=now)
    return locked


# --- art. 34: the people affected --------------------------------------------------------------


def breach_decide_subjects(
    *, breach: Breach, actor: User, decision: str, exemption: str = "", reason: str = ""
) -> Breach:
    _require_officer(actor)
    reason = _text(reason)
    if decision not in SubjectsDecision.values or decision == SubjectsDecision.PENDING:
        raise DomainError(_("Choose a decision."), field="decision")
    if decision == SubjectsDecision.EXEMPT:
        if exemption not in SubjectsExemption.values:
            raise DomainError(_("Name the art. 34(3) exemption used."), field="exemption")
    else:
        exemption = ""
    if decision != SubjectsDecision.COMMUNICATE and not reason:
        raise DomainError(_("Explain the reasoning of the decision."), field="reason")
    with transaction.atomic():
        locked = _lock(breach)
        before = _snapshot(locked)
        locked.subjects_decision = decision
        locked.subjects_exemption = exemption
        locked.subjects_decision_reason = reason
        _audit(breach=locked, actor=actor, action=AuditAction.SUBJECTS_DECISION, before=before)
    return locked


def breach_record_subjects_communication(
    *, breach: Breach, actor: User, communicated_at: datetime, communication: str
) -> Breach:
    """The record of telling the people affected — or, under art. 34(3)(c), the public one."""
    _require_officer(actor)
    communication = _text(communication)
    if not communication:
        raise DomainError(_("Say how and what the people were told."), field="communication")
    if communicated_at > timezone.now():
        raise DomainError(_("This time cannot be in the future."), field="communicated_at")
    with transaction.atomic():
        locked = _lock(breach)
        needs_it = locked.subjects_decision == SubjectsDecision.COMMUNICATE or (
            locked.subjects_decision == SubjectsDecision.EXEMPT
            and locked.subjects_exemption == SubjectsExemption.DISPROPORTIONATE
        )
        if not needs_it:
            raise DomainError(
                _(
                    "Record the decision to tell the people affected (or a public "
                    "communication) first."
                ),
                field="communication",
            )
        before = _snapshot(locked)
        locked.subjects_communicated_at = communicated_at
        locked.subjects_communication = communication
        _audit(breach=locked, actor=actor, action=AuditAction.SUBJECTS_TOLD, before=before)
    return locked


# --- the sweep ---------------------------------------------------------------------------------


def breach_clock_sweep(*, now: datetime, batch_size: int = 200) -> int:
    """Record and notify the 72-hour clock thresholds that fell due; returns how many.

    Idempotent and safe to run twice at once: rows are claimed with
    `SELECT … FOR UPDATE SKIP LOCKED`, the level is re-checked on the locked row and a unique
    constraint (breach, threshold) makes each threshold a single row. When several thresholds
    passed at once (an outage, an `aware_at` moved back), only the highest is recorded and told.
    """
    recorded = 0
    while True:
        with transaction.atomic():
            due = list(
                Breach.objects.select_for_update(skip_locked=True)
                .filter(clock_next_at__lte=now, clock_stopped_at__isnull=True)
                .order_by("pk")[:batch_size]
            )
            for breach in due:
                recorded += _record_threshold(breach=breach, now=now)
        if len(due) < batch_size:
            return recorded


def _record_threshold(*, breach: Breach, now: datetime) -> int:
    level = highest_threshold_passed(aware_at=breach.aware_at, now=now)
    before = _snapshot(breach)
    created = 0
    if level > breach.clock_level:
        due_at = threshold_time(aware_at=breach.aware_at, hours=level)
        _, created_row = BreachClockEvent.objects.get_or_create(
            breach=breach, threshold_hours=level, defaults={"due_at": due_at, "recorded_at": now}
        )
        created = int(created_row)
        breach.clock_level = level
        if created_row:
            overdue = level >= DEADLINE_HOURS
            _notify_officers(
                breach=breach,
                kind=(
                    NotificationKind.BREACH_CLOCK_OVERDUE
                    if overdue
                    else NotificationKind.BREACH_CLOCK_WARNING
                ),
                cause=f"breach:{breach.pk}:clock:{level}",
                context={
                    "hours": str(level),
                    "hours_left": str(max(DEADLINE_HOURS - level, 0)),
                    "due_at": breach.notify_due_at.isoformat(),
                },
            )
    breach.clock_next_at = next_threshold_at(aware_at=breach.aware_at, level=breach.clock_level)
    if created:
        _audit(
            breach=breach,
            actor=None,
            action=AuditAction.CLOCK,
            before=before,
            extra={"threshold_hours": [None, level]},
            at=now,
        )
    elif breach.clock_next_at != before["clock_next_at"]:
        breach.save(update_fields=["clock_level", "clock_next_at", "updated_at"])
    return created
