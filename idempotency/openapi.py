"""The OpenAPI schema documents the `Idempotency-Key` header on every POST of the API
(idempotency/middleware.py)."""

from typing import Any

from idempotency.services import MAX_KEY_LENGTH

PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    "description": (
        "A unique value per intended write (e.g. a UUID), to retry safely. The same key from "
        "the same user with the same request replays the first answer (header "
        "`Idempotent-Replayed: true`); with a different request it is a 422; while the first "
        "request is still running, a duplicate waits briefly, then gets a 409 with Retry-After. "
        "Keys are kept for 24 hours (HELPDESK_IDEMPOTENCY_KEY_HOURS); answers 401, 403, 408, "
        "429 and 5xx are not kept, so their retry runs again."
    ),
}
RESPONSE_422 = {
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    "description": "This Idempotency-Key was already used with a different request.",
}


def document_idempotency_key(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    for path, item in result.get("paths", {}).items():
        operation = item.get("post")
        if operation is None or not path.startswith("/api/"):
            continue
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name") == PARAMETER["name"] for p in parameters):
            parameters.append(dict(PARAMETER))
        operation.setdefault("responses", {}).setdefault("422", RESPONSE_422)
    return result
