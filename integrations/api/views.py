"""The intake endpoints: parse, authenticate, validate, call one service, answer."""

import json
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.errors import DomainError
from helpdesk.jsonbody import parse_json
from helpdesk.throttling import ScopedRateThrottle
from integrations import services
from integrations.api import serializers as s
from integrations.api.authentication import WWW_AUTHENTICATE, AlertmanagerTokenAuthentication
from integrations.models import AlertStatus, Integration, IntegrationKind
from integrations.selectors import integration_get_by_token
from tickets.api.serializers import ErrorSerializer

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 413: ErrorSerializer}


class PayloadTooLarge(DomainError):
    status_code = 413


class IsIntegration(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, Integration)


def _read_json(request: Request) -> dict[str, Any]:
    """The body as a JSON object, refusing oversized bodies before reading them (400/413)."""
    limit = settings.HELPDESK_INTEGRATIONS_MAX_BYTES
    too_large = _("The payload is larger than %(limit)d bytes.") % {"limit": limit}
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise PayloadTooLarge(too_large)
    body = request.body
    if len(body) > limit:
        raise PayloadTooLarge(too_large)
    # Nesting capped before parsing; a NUL or lone surrogate anywhere is a 400, never a 503
    # that monitoring would retry forever.
    data = parse_json(body, limit_bytes=limit)
    if not isinstance(data, dict):
        raise DomainError(_("The body must be a JSON object."))
    return data


def _first_error(errors: Any, path: str = "") -> tuple[str, str]:
    """The first validation error as (field path, message), e.g. ("alerts[1].startsAt", …)."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            if not value:
                continue
            if isinstance(key, int):  # a list's errors, by index
                name = f"{path}[{key}]"
            elif key == "non_field_errors":
                name = path
            else:
                name = f"{path}.{key}" if path else str(key)
            return _first_error(value, name)
    if isinstance(errors, list):
        for index, value in enumerate(errors):
            if isinstance(value, dict | list):
                if value:
                    return _first_error(value, f"{path}[{index}]")
            else:
                return path, str(value)
    return path, str(errors)


def _validated(serializer_class: type[s.serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        field, message = _first_error(serializer.errors)
        raise DomainError(f"{field}: {message}" if field else message, field=field or None)
    return dict(serializer.validated_data)


def _reference(ticket: Any) -> str | None:
    return ticket.reference if ticket is not None else None


class AlertmanagerWebhookView(APIView):
    """Prometheus Alertmanager's webhook receiver (payload version 4)."""

    authentication_classes = [AlertmanagerTokenAuthentication]
    permission_classes = [IsIntegration]
    # Monitoring bursts come from one address: their own generous scope, not the anonymous rate.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "integrations"

    @extend_schema(
        operation_id="integrations_alertmanager",
        tags=["integrations"],
        request=s.AlertmanagerWebhookSerializer,
        responses={200: s.AlertmanagerResultSerializer, **ERRORS},
        description=(
            "Firing alerts open (or count against) incidents; resolved ones resolve them. "
            "Authenticate with the integration's token: `Authorization: Bearer <token>`."
        ),
    )
    def post(self, request: Request) -> Response:
        data = _validated(s.AlertmanagerWebhookSerializer, _read_json(request))
        notices = [
            services.AlertNotice(
                fingerprint=alert["fingerprint"],
                status=AlertStatus(alert["status"]),
                starts_at=alert["startsAt"],
                ends_at=alert.get("endsAt"),
                labels=dict(alert["labels"]),
                annotations=dict(alert.get("annotations") or {}),
                generator_url=alert.get("generatorURL") or "",
            )
            for alert in data["alerts"]
        ]
        results = services.alertmanager_delivery_process(
            integration=request.auth,  # type: ignore[arg-type]
            alerts=notices,
        )
        return Response(
            {
                "message": _("%(count)d alerts processed.") % {"count": len(results)},
                "alerts": [
                    {
                        "fingerprint": r.fingerprint,
                        "outcome": r.outcome,
                        "ticket": _reference(r.ticket),
                    }
                    for r in results
                ],
            }
        )


class EventsV2View(APIView):
    """A generic intake shaped like PagerDuty's Events API v2: the routing_key is the token."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "integrations"

    def get_authenticate_header(self, request: Request) -> str:
        return WWW_AUTHENTICATE

    @extend_schema(
        operation_id="integrations_events_v2",
        tags=["integrations"],
        auth=[],
        request=s.EventsV2Serializer,
        responses={202: s.EventResultSerializer, **ERRORS},
        description=(
            "trigger opens an incident (or counts against the open one with the same dedup_key), "
            "acknowledge adds an internal note, resolve resolves it. `routing_key` is the "
            "integration's token."
        ),
    )
    def post(self, request: Request) -> Response:
        body = _read_json(request)
        routing_key = body.get("routing_key")
        if not isinstance(routing_key, str) or not routing_key:
            raise DomainError(_("routing_key is required."), field="routing_key")
        integration = integration_get_by_token(token=routing_key, kind=IntegrationKind.EVENTS_V2)
        if integration is None:
            raise AuthenticationFailed(_("Invalid routing_key."))
        data = _validated(s.EventsV2Serializer, body)
        payload = data.get("payload")
        notice = None
        if payload:
            labels = {
                name: payload[name]
                for name in ("severity", "source", "component", "group", "class")
                if payload.get(name)
            }
            annotations = {"summary": payload["summary"]}
            if payload.get("custom_details") is not None:
                details = payload["custom_details"]
                annotations["description"] = (
                    details
                    if isinstance(details, str)
                    else json.dumps(details, indent=2, sort_keys=True, ensure_ascii=False)
                )
            if payload.get("timestamp"):
                annotations["timestamp"] = payload["timestamp"].isoformat()
            notice = services.AlertNotice(
                fingerprint=data.get("dedup_key") or "",
                status=AlertStatus.FIRING,
                starts_at=None,
                labels=labels,
                annotations=annotations,
                generator_url=data.get("client_url") or "",
            )
        dedup_key, result = services.events_v2_process(
            integration=integration,
            action=data["event_action"],
            dedup_key=data.get("dedup_key") or "",
            notice=notice,
        )
        return Response(
            {
                "status": "success",
                "message": _("Event processed."),
                "dedup_key": dedup_key,
                "outcome": result.outcome,
                "ticket": _reference(result.ticket),
            },
            status=status.HTTP_202_ACCEPTED,
        )
