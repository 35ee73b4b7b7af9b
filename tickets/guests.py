"""Guest tickets and tracking links: who an anonymous submission belongs to, how an account
holder claims what was sent under their address, and how a requester renews a tracking link.

The anonymous form must never file a ticket under an account because someone typed its address
(`BOB@beta.example` put the ticket in Bob's account and organisation, and the tracking page showed
Bob's name). A new address still gets a password-less requester, as email intake does. An address
already known — an account, a password-less contact, a member of staff — gets a fresh *guest*
identity instead: no account, no organisation, no address of its own (the ticket's contact
address receives its emails), so the tracking page shows only what the visitor typed. The
account holder sees those tickets on "My tickets" and claims them through a link emailed to their
address (proof that they read that mailbox, not only that they know a password).
"""

import contextlib
import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connections, router, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User, normalize_identity
from accounts.services import user_set_preferences
from helpdesk.errors import DomainError
from helpdesk.inserts import insert_rows
from notifications.models import NotificationKind
from notifications.services import notification_enqueue
from tickets.models import EventKind, Ticket, TicketEvent
from tickets.services import requester_for_email

GUEST_USERNAME_PREFIX = "guest-"
CLAIM_SALT = "tickets.guest-claim"
CLAIM_MAX_AGE = timedelta(days=3)
# One claim email per account per window, however often the button is pressed.
CLAIM_EMAIL_WINDOW = timedelta(minutes=10)


def address_key(address: str) -> str:
    """The form of an address that two spellings of it share: the normalised form accounts are
    stored under (NFKC + casefold, accounts.models.normalize_identity), so `bob@ｂeta.example`
    and `BOB@beta.example` are one address."""
    return normalize_identity(address)


def _guest_prefix(key: str) -> str:
    """Guest identities of one address share a user-name prefix (a digest of the address): the
    unclaimed tickets of an address are found through the user-name index, not by scanning
    every ticket's contact address."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{GUEST_USERNAME_PREFIX}{digest}-"


def _address_known(key: str) -> bool:
    # Addresses and user names are stored normalised as `key` is: equality, served by their
    # unique indexes (a case-insensitive match scanned every account, guests included, on each
    # anonymous submission). Plain SQL: the ORM compiled this filter anew for every submission,
    # a tenth of the form's CPU.
    alias = router.db_for_write(User)
    table = connections[alias].ops.quote_name(User._meta.db_table)
    with connections[alias].cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {table} WHERE email = %s OR username = %s LIMIT 1",  # noqa: S608
            [key, key],
        )
        return cursor.fetchone() is not None


def requester_for_public_form(*, email: str, name: str = "", language: str = "") -> User:
    """Who files a ticket sent through the anonymous form (see the module's docstring)."""
    key = address_key(email)
    if not key or "@" not in key:
        raise DomainError(_("A valid email address is required."), field="email")
    if not _address_known(key):
        try:
            with transaction.atomic():
                return requester_for_email(email=email, name=name, language=language)
        except IntegrityError:
            pass  # the same address arrived concurrently: a guest, like any known address
    guest = User(
        username=f"{_guest_prefix(key)}{secrets.token_hex(6)}",
        email="",
        display_name=name.strip()[:150],
        role=Role.REQUESTER,
        language=language or settings.LANGUAGE_CODE,
    )
    guest.set_unusable_password()
    insert_rows([guest])  # save()'s insert, its statement built once (helpdesk.inserts)
    return guest


def tracking_language_remember(*, ticket: Ticket, language: str) -> None:
    """The language chosen on a ticket's tracking page, remembered for its requester's emails
    when they cannot sign in to choose it (a guest, or a contact without a password): their
    emails stayed in the form's language whatever they picked on the page. An account
    holder's language is theirs to set on their profile; an unknown language is ignored."""
    requester = ticket.requester
    if requester.role != Role.REQUESTER or requester.has_usable_password():
        return
    if requester.language == language:
        return
    with contextlib.suppress(DomainError):  # as Django's set_language ignores it
        user_set_preferences(user=requester, language=language)


def is_guest(user: User) -> bool:
    return (
        user.role == Role.REQUESTER
        and not user.email
        and user.username.startswith(GUEST_USERNAME_PREFIX)
    )


def guest_tickets_for(*, user: User) -> QuerySet[Ticket]:
    """Unclaimed guest tickets sent under this signed-in requester's address, newest first."""
    if not (user.is_authenticated and user.is_active and user.is_requester and user.email):
        return Ticket.objects.none()
    key = address_key(user.email)
    identities = User.objects.filter(
        username__startswith=_guest_prefix(key), email="", role=Role.REQUESTER
    ).values("pk")
    return Ticket.objects.filter(requester__in=identities, contact_email__iexact=key).order_by(
        "-id"
    )


def guest_claim_token(*, user: User) -> str:
    """A signed, expiring token naming the account and the address it may claim tickets of."""
    return signing.dumps({"u": user.pk, "a": address_key(user.email)}, salt=CLAIM_SALT)


def guest_claim_address(*, user: User, token: str) -> str:
    """The address a claim link lets this user claim, or DomainError (expired, forged, another
    account's, or an address the account no longer has)."""
    try:
        data = signing.loads(token, salt=CLAIM_SALT, max_age=CLAIM_MAX_AGE)
    except signing.BadSignature:
        raise DomainError(_("This link is not valid or has expired.")) from None
    if not isinstance(data, dict) or data.get("u") != user.pk:
        raise DomainError(_("This link is not valid or has expired."))
    if data.get("a") != address_key(user.email):
        raise DomainError(_("This link is not valid or has expired."))
    return str(data["a"])


def guest_claim_request(*, user: User) -> bool:
    """Email the account a link to claim its address's guest tickets; False if there are none."""
    if not guest_tickets_for(user=user).exists():
        return False
    window = int(timezone.now().timestamp() // CLAIM_EMAIL_WINDOW.total_seconds())
    notification_enqueue(
        recipient=user,
        kind=NotificationKind.GUEST_CLAIM,
        ticket=None,
        cause=f"guest-claim:{user.pk}:{window}",
    )
    return True


def guest_tickets_claim(*, user: User, token: str) -> list[Ticket]:
    """Move the guest tickets of the link's address into the account (and its organisation):
    each one recorded on the ticket. Already claimed tickets are skipped."""
    address = guest_claim_address(user=user, token=token)
    claimed = []
    with transaction.atomic():
        tickets = (
            guest_tickets_for(user=user)
            .filter(contact_email__iexact=address)
            .select_for_update(of=("self",))
            .order_by("pk")  # row locks in pk order
        )
        now = timezone.now()
        for ticket in tickets:
            guest_id = ticket.requester_id
            ticket.requester = user
            ticket.organisation_id = user.organisation_id
            ticket.save(update_fields=["requester", "organisation", "updated_at"])
            TicketEvent.objects.create(
                ticket=ticket,
                actor=user,
                created_at=now,
                kind=EventKind.CHANGE,
                changes={"requester_id": [guest_id, user.pk]},
                reason=_("Claimed by the account holder of the address it was sent from."),
            )
            claimed.append(ticket)
    return claimed


# --- tracking links ------------------------------------------------------------------------------


def ticket_tracking_link_renew(*, ticket: Ticket, actor: User) -> Ticket:
    """Revoke the ticket's tracking link and email a new one to the requester's address.

    Anyone holding the old link (a forwarded email, a shared screen) loses access at once; the
    requester, who reads that mailbox, gets the new link. Only the requester may do it (signed
    in, or through the link itself)."""
    if actor.pk != ticket.requester_id:
        raise DomainError(_("Only the requester can renew the tracking link."))
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        locked.tracking_token = secrets.token_urlsafe(24)
        locked.save(update_fields=["tracking_token", "updated_at"])
        event = TicketEvent.objects.create(
            ticket=locked,
            actor=actor,
            kind=EventKind.CHANGE,
            changes={"tracking_link": "renewed"},
            reason=_("The requester revoked the tracking link; a new one was sent."),
        )
        notification_enqueue(
            recipient=locked.requester,
            kind=NotificationKind.TRACKING_LINK,
            ticket=locked,
            cause=f"tracking-link:{event.pk}",
        )
    return locked


# --- the claim email's link, made at send time (nothing secret is kept in the outbox) ---------


def claim_email_context(notification: object) -> dict[str, str]:
    recipient: User = notification.recipient  # type: ignore[attr-defined]
    token = guest_claim_token(user=recipient)
    return {"claim_url": f"{settings.SITE_URL}/my/claim/{token}/"}


def claim_email_sample() -> dict[str, str]:
    return {"claim_url": f"{settings.SITE_URL}/my/claim/sample-token/"}
