"""The API's `Idempotency-Key` header on POST requests (docs/architecture.md, "Idempotency").

The same key from the same client with the same request replays the first answer (with
`Idempotent-Replayed: true`); with another body it is a 422; while the first request still
runs, a duplicate waits up to HELPDESK_IDEMPOTENCY_WAIT_SECONDS for its answer, then gets a
409 with Retry-After. Answers worth replaying are kept (2xx and 4xx but 401/403/408/429);
a 5xx frees the key, so a retry runs again. Keys expire after HELPDESK_IDEMPOTENCY_KEY_HOURS
(`idempotency.tasks.purge_expired_keys`).

The client is authenticated here with the view's own DRF authenticators (one more token
lookup per POST that carries the header), so a key belongs to one user; anonymous requests
are not deduplicated.
"""

import contextlib
import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.request import RawPostDataException
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.request import Request

from idempotency.models import IdempotencyKey
from idempotency.services import (
    MAX_KEY_LENGTH,
    ApiClaim,
    api_key_claim,
    api_key_refresh,
    api_key_release,
    api_key_store,
    owner_for,
)

HEADER = "Idempotency-Key"
META_KEY = "HTTP_IDEMPOTENCY_KEY"
NOT_KEPT = {401, 403, 408, 429}
KEPT_HEADERS = ("Content-Type", "Location")


def fingerprint(request: HttpRequest) -> str:
    """The request as the client meant it: method, path, query and body (JSON canonicalised;
    a multipart body by its fields and files, whatever boundary the client chose)."""
    digest = hashlib.sha256()
    digest.update(
        f"{request.method} {request.path}?{request.META.get('QUERY_STRING', '')}".encode()
    )
    content_type = request.content_type or ""
    if content_type.startswith("multipart/"):
        for name, values in sorted(request.POST.lists()):
            digest.update(json.dumps([name, values]).encode())
        for name, files in sorted(request.FILES.lists()):
            for upload in files:
                digest.update(json.dumps([name, upload.name, upload.size]).encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
        return digest.hexdigest()
    try:
        body = request.body
    except RawPostDataException:
        body = request.POST.urlencode().encode()
    if content_type == "application/json" and body:
        # A malformed body is the view's to answer; its raw bytes identify it.
        with contextlib.suppress(ValueError):
            body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    digest.update(body)
    return digest.hexdigest()


def _client(request: HttpRequest, view_func: Callable[..., Any]) -> Any:
    """The user the view will see, by the view's own authenticators; None if anonymous."""
    view_class = getattr(view_func, "cls", None)
    if view_class is None:
        return None
    # DRF's Request writes the user it finds back on the Django request: leave that to the view.
    before = request.__dict__.get("user")
    try:
        authenticators = [auth() for auth in view_class.authentication_classes]
        user = Request(request, authenticators=authenticators).user
    except Exception:  # a refused credential: the view answers it (401/403), unguarded
        return None
    finally:
        if before is not None:
            request.user = before
        else:
            request.__dict__.pop("user", None)
    return user if getattr(user, "is_authenticated", False) else None


def _replay(row: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(
        row.response_body,
        status=row.response_status or 200,
        content_type=row.response_headers.get("Content-Type", "application/json"),
    )
    if "Location" in row.response_headers:
        response["Location"] = row.response_headers["Location"]
    response["Idempotent-Replayed"] = "true"
    return response


class IdempotencyKeyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        claim: ApiClaim | None = getattr(request, "_idempotency_claim", None)
        if claim is not None and claim.ours:
            self._finish(claim, response)
        return response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponse | None:
        key = request.META.get(META_KEY)
        if key is None or request.method != "POST" or not request.path.startswith("/api/"):
            return None
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            return JsonResponse(
                {
                    "message": _("The Idempotency-Key header must be 1 to %(n)d characters.")
                    % {"n": MAX_KEY_LENGTH}
                },
                status=400,
            )
        user = _client(request, view_func)
        if user is None:
            return None
        owner = owner_for(request, user)
        claim = api_key_claim(
            owner=owner, key=key, fingerprint=fingerprint(request), now=timezone.now()
        )
        deadline = time.monotonic() + settings.IDEMPOTENCY_WAIT_SECONDS
        while claim.busy and time.monotonic() < deadline:
            time.sleep(0.1)
            row = api_key_refresh(row=claim.row)
            if row is None:  # the first request failed and freed the key: run this one
                claim = api_key_claim(
                    owner=owner, key=key, fingerprint=claim.row.fingerprint, now=timezone.now()
                )
            else:
                claim = ApiClaim(row=row, busy=row.state != "done")
        if claim.mismatch:
            return JsonResponse(
                {
                    "message": _(
                        "This Idempotency-Key was used with a different request: use a new key."
                    )
                },
                status=422,
            )
        if claim.busy:
            response = JsonResponse(
                {
                    "message": _(
                        "A request with this Idempotency-Key is still being processed; retry "
                        "in a moment."
                    )
                },
                status=409,
            )
            response["Retry-After"] = "1"
            return response
        if claim.replay:
            return _replay(claim.row)
        request._idempotency_claim = claim  # type: ignore[attr-defined]
        return None

    @staticmethod
    def _finish(claim: ApiClaim, response: HttpResponse) -> None:
        keep = (
            200 <= response.status_code < 500
            and response.status_code not in NOT_KEPT
            and not response.streaming
        )
        body = ""
        if keep:
            try:
                body = response.content.decode(response.charset or "utf-8")
            except UnicodeDecodeError:
                keep = False
        if not keep:
            api_key_release(row=claim.row)
            return
        headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
        api_key_store(row=claim.row, status=response.status_code, body=body, headers=headers)
