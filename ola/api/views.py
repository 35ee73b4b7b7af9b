from typing import Any

from django.utils.translation import gettext_lazy as _lazy
from rest_framework import status, viewsets
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from ola.api.serializers import OlaTargetSerializer
from ola.models import OlaTarget
from ola.services import ola_target_delete, ola_target_save


class IsStaffMember(BasePermission):
    message = _lazy("Only support staff can see OLA targets.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        user: User = request.user  # type: ignore[assignment]
        return bool(user.is_authenticated and user.is_staff_member)


class OlaTargetViewSet(viewsets.ModelViewSet):
    """OLA targets per tier and priority; staff read them, managers change them."""

    serializer_class = OlaTargetSerializer
    permission_classes = [IsStaffMember]
    queryset = OlaTarget.objects.order_by("tier", "priority")

    def _save(self, request: Request, target: OlaTarget | None, *, partial: bool) -> Response:
        data = OlaTargetSerializer(instance=target, data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        fields: dict[str, Any] = dict(data.validated_data)

        def value(name: str) -> Any:
            return fields[name] if name in fields else getattr(target, name, None)

        saved = ola_target_save(
            actor=request.user,  # type: ignore[arg-type]
            target=target,
            tier=value("tier"),
            priority=value("priority"),
            take_within=value("take_within"),
            handoff_within=value("handoff_within"),
            calendar=value("calendar"),
        )
        code = status.HTTP_200_OK if target else status.HTTP_201_CREATED
        return Response(OlaTargetSerializer(saved).data, status=code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._save(request, None, partial=False)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._save(request, self.get_object(), partial=kwargs.get("partial", False))

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ola_target_delete(actor=request.user, target=self.get_object())  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)
