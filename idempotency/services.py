"""Claiming idempotency keys.

Forms: `form_key_claim` inserts the key inside the transaction of the write it guards. A
second submission of the same key (double click, a retry, a reload) waits on the unique index
until the first commits, then finds the key taken and is sent where the first went; if the
first rolled back (a form error), the key is free again.

API: `api_key_claim` commits the key before the request runs (so a concurrent duplicate sees it
at once), `api_key_store` keeps the answer to replay, `api_key_release` frees the key when
there is nothing worth replaying (a 5xx, a refused authentication).
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from idempotency.models import IdempotencyKey, KeyKind, KeyState

FORM_FIELD = "idempotency_key"
MAX_KEY_LENGTH = 255


def key_lifetime() -> timedelta:
    return timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)


def new_form_key() -> str:
    return secrets.token_urlsafe(24)


def owner_for(request: HttpRequest, user: object | None = None) -> str:
    """Who a key belongs to: the signed-in user, else the client's address (hashed)."""
    user = user if user is not None else getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        label = getattr(getattr(user, "_meta", None), "label_lower", "user")
        return f"{label}:{getattr(user, 'pk', '')}"
    address = request.META.get("REMOTE_ADDR", "")
    return "anon:" + hashlib.sha256(address.encode()).hexdigest()[:32]


class DuplicateSubmission(Exception):
    """The form's key was used already: `result_url` is where the first submission led."""

    def __init__(self, result_url: str) -> None:
        super().__init__(result_url)
        self.result_url = result_url


@dataclass
class FormClaim:
    key: IdempotencyKey | None  # None: the form sent no key (an old page): not guarded

    def done(self, *, result_url: str) -> None:
        if self.key is not None:
            self.key.result_url = result_url
            self.key.state = KeyState.DONE
            self.key.save(update_fields=["result_url", "state", "updated_at"])


def form_key_claim(*, owner: str, key: str) -> FormClaim:
    """Take the form's key inside the caller's transaction (which must be atomic).

    Raises DuplicateSubmission when the key was used by a committed submission.
    """
    key = (key or "").strip()[:MAX_KEY_LENGTH]
    if not key:
        return FormClaim(key=None)
    try:
        with transaction.atomic():
            row = IdempotencyKey.objects.create(
                kind=KeyKind.FORM,
                owner=owner,
                key=key,
                expires_at=timezone.now() + key_lifetime(),
            )
    except IntegrityError:
        first = IdempotencyKey.objects.filter(kind=KeyKind.FORM, owner=owner, key=key).first()
        raise DuplicateSubmission(first.result_url if first else "") from None
    return FormClaim(key=row)


# --- API -----------------------------------------------------------------------------------------


@dataclass
class ApiClaim:
    """The outcome of claiming an API key: `row` is ours to fill (first request), or the
    earlier request's row (`replay` when it finished, `busy` while it runs), or a `mismatch`."""

    row: IdempotencyKey
    ours: bool = False
    mismatch: bool = False
    busy: bool = False

    @property
    def replay(self) -> bool:
        return not self.ours and not self.mismatch and self.row.state == KeyState.DONE


def api_key_claim(*, owner: str, key: str, fingerprint: str, now: datetime) -> ApiClaim:
    """Insert the key (committed at once); or describe the request that holds it."""
    stale_before = now - timedelta(seconds=settings.IDEMPOTENCY_STALE_SECONDS)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(
                    kind=KeyKind.API,
                    owner=owner,
                    key=key,
                    fingerprint=fingerprint,
                    expires_at=now + key_lifetime(),
                )
            return ApiClaim(row=row, ours=True)
        except IntegrityError:
            row_or_none = IdempotencyKey.objects.filter(
                kind=KeyKind.API, owner=owner, key=key
            ).first()
            if row_or_none is None:
                continue  # released meanwhile: try again
            row = row_or_none
        if row.expires_at <= now:
            # An expired key is forgotten: the cleanup task had not run yet.
            IdempotencyKey.objects.filter(pk=row.pk, expires_at__lte=now).delete()
            continue
        if row.fingerprint != fingerprint:
            return ApiClaim(row=row, mismatch=True)
        if row.state == KeyState.PROCESSING:
            if row.updated_at < stale_before:
                # Its worker died half-way (nothing was stored): take it over, once.
                taken = IdempotencyKey.objects.filter(
                    pk=row.pk, state=KeyState.PROCESSING, updated_at=row.updated_at
                ).update(updated_at=now)
                if taken:
                    row.updated_at = now
                    return ApiClaim(row=row, ours=True)
            return ApiClaim(row=row, busy=True)
        return ApiClaim(row=row)
    raise RuntimeError("idempotency key claim did not settle")  # pragma: no cover


def api_key_refresh(*, row: IdempotencyKey) -> IdempotencyKey | None:
    return IdempotencyKey.objects.filter(pk=row.pk).first()


def api_key_store(*, row: IdempotencyKey, status: int, body: str, headers: dict[str, str]) -> None:
    IdempotencyKey.objects.filter(pk=row.pk).update(
        state=KeyState.DONE,
        response_status=status,
        response_body=body,
        response_headers=headers,
        updated_at=timezone.now(),
    )


def api_key_release(*, row: IdempotencyKey) -> None:
    IdempotencyKey.objects.filter(pk=row.pk, state=KeyState.PROCESSING).delete()


def idempotency_keys_purge(*, now: datetime, batch_size: int = 5000) -> int:
    """Delete expired keys (a beat task), a batch at a time."""
    deleted = 0
    while True:
        ids = list(
            IdempotencyKey.objects.filter(expires_at__lte=now)
            .order_by("expires_at")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return deleted
        deleted += IdempotencyKey.objects.filter(pk__in=ids).delete()[0]
