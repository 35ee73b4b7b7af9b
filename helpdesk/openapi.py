"""The OpenAPI schema documents what every operation may answer, errors included.

helpdesk/api.py turns every error into JSON `{"message": …, "errors": {…}}`; any operation can
meet bad input, a missing or wrong token, a permission, an unknown id, a state conflict, a
throttle or a database outage. Views declare their successes; this hook adds the errors they
did not declare (checked by schemathesis, tests/security/test_schemathesis.py).
"""

from typing import Any

ERROR_RESPONSES = {
    "400": "Invalid input: `message`, and `errors` per field.",
    "401": "Not authenticated.",
    "403": "Not allowed for this user.",
    "404": "Not found, or not visible to this user.",
    "409": "The object's state does not allow this (e.g. a ticket transition).",
    "413": "The body is too large.",
    "429": "Too many requests: see Retry-After.",
    "503": "The database is briefly unavailable: see Retry-After.",
}
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every API error.",
    "properties": {
        "message": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {}},
    },
    "required": ["message"],
}
METHODS = {"get", "post", "put", "patch", "delete"}


def document_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR_SCHEMA)
    reference = {"$ref": "#/components/schemas/Error"}
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_RESPONSES.items():
                responses.setdefault(
                    code,
                    {
                        "content": {"application/json": {"schema": reference}},
                        "description": description,
                    },
                )
    return result


# Ticket components whose staff-only fields a requester's answer leaves out.
STAFF_SHAPED_COMPONENTS = ("TicketList", "TicketDetail")


def document_staff_only_fields(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """The ticket schemas are the staff's; the fields only staff read are optional in them
    (tickets.api.serializers.STAFF_ONLY_FIELDS: absent from a requester's answer)."""
    from tickets.api.serializers import STAFF_ONLY_FIELDS

    schemas = result.get("components", {}).get("schemas", {})
    for name in STAFF_SHAPED_COMPONENTS:
        schema = schemas.get(name)
        if schema is None:
            continue
        schema["required"] = [f for f in schema.get("required", []) if f not in STAFF_ONLY_FIELDS]
        for field in STAFF_ONLY_FIELDS & set(schema.get("properties", {})):
            prop = schema["properties"][field]
            note = "Support staff only: absent from a requester's answer."
            prop["description"] = f"{prop['description']} {note}" if "description" in prop else note
    return result
