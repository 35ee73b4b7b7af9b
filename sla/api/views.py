from typing import Any

from django.utils.translation import gettext_lazy as _lazy
from rest_framework import status, viewsets
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from sla.api.serializers import CalendarSerializer, SlaPolicySerializer
from sla.models import Calendar, SlaPolicy
from sla.services import policy_delete, policy_save


class IsStaffMember(BasePermission):
    message = _lazy("Only support staff can see SLA policies.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        user: User = request.user  # type: ignore[assignment]
        return bool(user.is_authenticated and user.is_staff_member)


class SlaPolicyViewSet(viewsets.ModelViewSet):
    """SLA policies, tried in order; staff read them, managers change them."""

    serializer_class = SlaPolicySerializer
    permission_classes = [IsStaffMember]
    queryset = SlaPolicy.objects.prefetch_related("targets")

    def _save(self, request: Request, policy: SlaPolicy | None, *, partial: bool) -> Response:
        data = SlaPolicySerializer(instance=policy, data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        fields: dict[str, Any] = dict(data.validated_data)
        targets = fields.pop("targets", None)
        saved = policy_save(
            actor=request.user,  # type: ignore[arg-type]
            policy=policy,
            fields=fields,
            targets=[dict(t) for t in targets] if targets is not None else None,
        )
        fresh = self.get_queryset().get(pk=saved.pk)
        code = status.HTTP_200_OK if policy else status.HTTP_201_CREATED
        return Response(SlaPolicySerializer(fresh).data, status=code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._save(request, None, partial=False)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._save(request, self.get_object(), partial=kwargs.get("partial", False))

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        policy_delete(actor=request.user, policy=self.get_object())  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class CalendarViewSet(viewsets.ReadOnlyModelViewSet):
    """Business-hours calendars (edited in the admin)."""

    serializer_class = CalendarSerializer
    permission_classes = [IsStaffMember]
    queryset = Calendar.objects.prefetch_related("hours", "holidays")
